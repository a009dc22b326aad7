"""``python -m registry``: serve the registry with settings from ``ANTRE_*`` variables."""

from antre_platform.runner import configure_logging, serve

from registry.main import create_app
from registry.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("registry", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
