"""The field technician's jobs: today's on-site orders in route order and their one-tap actions."""
