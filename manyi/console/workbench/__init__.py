"""The agent's workbench: caller lookup, the customer panel, new orders, my and my team's queues."""
