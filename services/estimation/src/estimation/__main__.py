"""``python -m estimation``: run the service with settings from the environment."""

from antre_platform.runner import configure_logging, serve

from estimation.main import SERVICE, create_app
from estimation.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(SERVICE, settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
