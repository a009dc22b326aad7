"""``python -m ticketing``: serve the HTTP API, consume the registry, relay the outbox."""

from antre_platform.runner import configure_logging, serve

from ticketing.main import create_app
from ticketing.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("ticketing", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
