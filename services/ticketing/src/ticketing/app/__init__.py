"""Use cases: each handler takes its command and its dependencies (unit of work, clock) by keyword."""
