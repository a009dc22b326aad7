"""Estimation's settings, read from ``ANTRE_*`` environment variables."""

from antre_platform.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    http_port: int = 8003
    database_url: str = "postgresql://postgres@127.0.0.1:5433/estimation"
    default_mean_service_min: float = Field(
        default=10.0, gt=0,
        description="Mean service time (minutes) of a service the registry has not described yet.",
    )
    arrival_margin_min: float = Field(
        default=5.0, ge=0,
        description="How long before the earliest likely call (p10) a citizen should arrive.",
    )
