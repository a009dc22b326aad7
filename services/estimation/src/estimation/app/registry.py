"""The parts of the registry's entities (``registry.changed`` ``state``) that estimation uses."""

from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _RegistryState(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SiteState(_RegistryState):
    id: UUID
    timezone: str = Field(examples=["Asia/Makassar"])
    active: bool = True
    hours: dict[str, Any] | None = None
    # The registry may send null for "no closed days".
    closed_dates: list[str] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA timezone") from exc
        return value


class ServiceState(_RegistryState):
    id: UUID
    site_id: UUID
    mean_service_min: float = Field(gt=0)
    priority_enabled: bool = True
    active: bool = True
    hours: dict[str, Any] | None = None


class JourneyState(_RegistryState):
    id: UUID
    site_id: UUID
    steps: list[UUID] = Field(description="service ids, in order")
    active: bool = True


class CounterState(_RegistryState):
    id: UUID
    site_id: UUID
    service_ids: list[UUID] = Field(default_factory=list)
    active: bool = True
