"""Storage behind the app's ports: PostgreSQL for the service, memory for tests and replays."""
