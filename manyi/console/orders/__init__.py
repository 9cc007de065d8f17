"""The order pages: the searchable list, one order's page (overview, timeline, actions, files, closed loop)."""
