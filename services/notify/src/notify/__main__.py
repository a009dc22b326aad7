"""``python -m notify``: run the service with settings from ANTRE_* environment variables."""

from antre_platform.runner import configure_logging, serve

from notify.main import create_app
from notify.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("notify", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
