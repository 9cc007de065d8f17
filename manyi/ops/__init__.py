"""Operations: liveness and readiness probes, Prometheus metrics, the worker's heartbeat, and the
HTTP safeguards every response passes through (security headers)."""
