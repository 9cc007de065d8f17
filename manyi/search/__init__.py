"""Saved searches: a staff member's named filter sets for the order list."""
