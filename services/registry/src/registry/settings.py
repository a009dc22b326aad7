"""The registry's settings, from ``ANTRE_*`` environment variables (built in the factory, not at import)."""

from antre_platform.settings import DEV_SECRET_MARKER, ServiceSettings
from pydantic import model_validator


class Settings(ServiceSettings):
    http_port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/registry"
    admin_token: str = "dev-only-admin-token"

    def secret_fields(self) -> tuple[str, ...]:
        return ("admin_token",)

    @model_validator(mode="after")
    def _admin_token_is_set_outside_dev(self) -> "Settings":
        # The admin token opens every agency's data: only a developer's own machine may run
        # on the published default (the platform base refuses it in prod; this adds test).
        if self.env != "dev" and DEV_SECRET_MARKER in self.admin_token:
            raise ValueError(
                f"set ANTRE_ADMIN_TOKEN to a real secret before running with ANTRE_ENV={self.env}"
            )
        return self
