"""The CloudEvents 1.0 envelope (structured JSON mode) that every Antre event travels in.

The Kafka record value is the whole envelope as JSON; the record key is the site id;
the headers repeat ``ce_id`` and ``ce_type`` (so a consumer can route without parsing)
and carry the W3C ``traceparent`` that joins producer and consumer in one trace.
"""

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from antre_contracts.events import DATA_MODELS, EventData

DATA_VERSION: Final = "1"
CONTENT_TYPE: Final = "application/json"

DataT = TypeVar("DataT", bound=EventData)


class UnknownEventType(ValueError):
    """An event type this version of the contract does not define."""


class CloudEvent(BaseModel):
    """One Antre event. ``siteid`` and ``dataversion`` are CloudEvents extensions."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    source: str = Field(pattern=r"^antre/[a-z_-]+$", examples=["antre/ticketing"])
    type: str = Field(examples=["ticket.issued"])
    time: AwareDatetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = CONTENT_TYPE
    siteid: str = Field(description="The site id; also the Kafka record key.")
    dataversion: str = DATA_VERSION
    data: dict[str, Any]

    def data_as(self, model: builtins.type[DataT]) -> DataT:
        """The data validated as ``model``; raises pydantic.ValidationError if it is not."""
        return model.model_validate(self.data)

    def typed_data(self) -> EventData:
        """The data validated as the model its type names."""
        try:
            model = DATA_MODELS[self.type]
        except KeyError as exc:
            raise UnknownEventType(self.type) from exc
        return model.model_validate(self.data)

    def kafka_key(self) -> bytes:
        return self.siteid.encode()

    def kafka_headers(self) -> dict[str, str]:
        return {"ce_id": str(self.id), "ce_type": self.type, "ce_specversion": self.specversion}

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


def new_event(
    *,
    type: str,
    source: str,
    site_id: UUID | str,
    data: EventData,
    time: datetime,
    subject: UUID | str | None = None,
) -> CloudEvent:
    """Build an event, checking that ``data`` is the model its ``type`` calls for."""
    expected = DATA_MODELS.get(type)
    if expected is None:
        raise UnknownEventType(type)
    if not isinstance(data, expected):
        raise TypeError(f"{type} carries {expected.__name__}, not {data.__class__.__name__}")
    return CloudEvent(
        id=uuid4(),
        source=source,
        type=type,
        time=time,
        subject=str(subject) if subject is not None else None,
        siteid=str(site_id),
        data=data.model_dump(mode="json"),
    )


def parse_event(raw: bytes | str | Mapping[str, Any]) -> CloudEvent:
    """Parse a structured-mode CloudEvent from a Kafka value or a decoded dict."""
    if isinstance(raw, Mapping):
        return CloudEvent.model_validate(raw)
    return CloudEvent.model_validate_json(raw)
