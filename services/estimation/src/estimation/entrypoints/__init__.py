"""How the outside reaches estimation: the HTTP API and the Kafka subscriber."""
