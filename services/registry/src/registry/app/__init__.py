"""Use cases of the registry: each runs in one unit of work (one transaction)."""
