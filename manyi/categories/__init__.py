"""The category tree of work orders: model, lookups and its administration (read by routing and SLA)."""
