"""PostgreSQL repositories, the phone sealer and the notify HTTP client."""
