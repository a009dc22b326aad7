"""Shared plumbing for Antre services; no domain logic lives here."""
