"""Estimation's settings, read from ``ANTRE_*`` environment variables."""

from antre_platform.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    http_port: int = 8003
    database_url: str = "postgresql://postgres@127.0.0.1:5432/estimation"
    default_mean_service_min: float = Field(
        default=10.0,
        gt=0,
        description="Mean service time (minutes) of a service the registry has not described yet.",
    )
    arrival_margin_min: float = Field(
        default=0.0,
        ge=0,
        description="Extra minutes before the arrival quantile of the call time that arrive_by asks for.",
    )
    arrival_quantile: float = Field(
        default=0.10,
        gt=0,
        lt=0.5,
        description="arrive_by is this quantile of the call time: the share called before arriving.",
    )
    visible_change_min: float = Field(
        default=3.0,
        gt=0,
        description="A ticket.estimated is re-sent only when P50 or arrive_by moves this many minutes.",
    )
