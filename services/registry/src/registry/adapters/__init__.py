"""Storage and outbox adapters of the registry."""
