"""Antre ticketing: queue numbers, counter (loket) actions and the authoritative queue."""
