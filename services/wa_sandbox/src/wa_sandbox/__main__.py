"""``python -m wa_sandbox``: serve the sandbox with settings from the environment."""

from antre_platform.runner import configure_logging, serve

from wa_sandbox.main import create_app
from wa_sandbox.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("wa-sandbox", settings.log_level)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
