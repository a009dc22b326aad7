"""The registry's settings, from ``ANTRE_*`` environment variables (built in the factory, not at import)."""

from antre_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5433/registry"
    admin_token: str = "dev-only-admin-token"

    def secret_fields(self) -> tuple[str, ...]:
        return ("admin_token",)
