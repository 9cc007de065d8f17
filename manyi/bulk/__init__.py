"""The bulk writer: many work orders with their whole history at once (demo, imports), reusing the
order and SLA rules (it sits above orders and sla)."""
