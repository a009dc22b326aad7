"""HTTP routers and the Kafka subscriber: translate the outside world into use cases."""
