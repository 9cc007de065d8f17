"""The TMF688-pattern event hub: listener subscriptions and webhook notifications through the outbox."""
