"""How the registry is reached: the HTTP API and the seed CLI."""
