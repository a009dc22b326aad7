"""Antre registry: what each MPP offers (sites, agencies, services, counters, journeys)."""
