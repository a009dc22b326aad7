"""Request and response shapes of the /sandbox test controls."""

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wa_sandbox.app.sandbox import CallbackReport, InboundRecord, SentMessage
from wa_sandbox.domain.faults import Fault
from wa_sandbox.domain.phones import InvalidPhone, to_wa_id


def _wa_id(phone: str) -> str:
    try:
        return to_wa_id(phone)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from exc


class ReplyChoice(BaseModel):
    """The button or list row the user tapped, as it was offered (its id and title)."""

    id: str = Field(min_length=1, max_length=256, examples=["take:svc-samsat"])
    title: str = Field(min_length=1, max_length=24, examples=["Ambil nomor"])
    description: str | None = Field(default=None, max_length=72)


class InboundCreate(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    sender: str = Field(alias="from", description="The user's phone, digits with or without '+'",
                        examples=["6281234567890"])
    text: str | None = Field(default=None, min_length=1, max_length=4096, examples=["STATUS"])
    button_reply: ReplyChoice | None = None
    list_reply: ReplyChoice | None = None
    name: str | None = Field(default=None, min_length=1, max_length=60,
                             description="The user's WhatsApp profile name")
    repeat: int = Field(default=1, ge=1, le=5,
                        description="Deliver the very same notification this many times (Meta's retries)")

    @field_validator("sender")
    @classmethod
    def _sender_wa_id(cls, sender: str) -> str:
        return _wa_id(sender)

    @model_validator(mode="after")
    def _one_kind_of_message(self) -> Self:
        given = [name for name in ("text", "button_reply", "list_reply") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, button_reply or list_reply"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class InboundResult(BaseModel):
    message_id: str = Field(examples=["wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFDNBMDA="])
    webhook_status: int | None = Field(description="HTTP status of the last delivery; null if unreachable")
    webhook_statuses: list[int | None]
    webhook_error: str | None = None

    @classmethod
    def of(cls, record: InboundRecord) -> "InboundResult":
        return cls(message_id=record.message_id, webhook_status=record.webhook_status,
                   webhook_statuses=[answer.status for answer in record.answers],
                   webhook_error=record.webhook_error)


class InboundPublic(InboundResult):
    sender: str = Field(serialization_alias="from")
    name: str
    type: str
    text: str
    received_at: datetime
    notification: dict[str, Any]

    @classmethod
    def of(cls, record: InboundRecord) -> "InboundPublic":
        return cls(**InboundResult.of(record).model_dump(), sender=record.sender, name=record.name,
                   type=record.type, text=record.text, received_at=record.received_at,
                   notification=dict(record.notification))


class CallbackPublic(BaseModel):
    status: str
    webhook_status: int | None
    attempts: int
    at: datetime
    error: str | None = None

    @classmethod
    def of(cls, report: CallbackReport) -> "CallbackPublic":
        return cls(status=report.status, webhook_status=report.webhook_status, attempts=report.attempts,
                   at=report.at, error=report.error)


class MessagePublic(BaseModel):
    id: str
    to: str
    type: str
    text: str
    body: dict[str, Any] = Field(description="The JSON received")
    headers: dict[str, str] = Field(description="Recorded request headers: traceparent, tracestate")
    received_at: datetime
    phone_number_id: str
    callbacks: list[CallbackPublic] = Field(description="Status callbacks delivered to the webhook so far")

    @classmethod
    def of(cls, message: SentMessage) -> "MessagePublic":
        return cls(id=message.id, to=message.to, type=message.type, text=message.text,
                   body=dict(message.body), headers=message.headers, received_at=message.received_at,
                   phone_number_id=message.phone_number_id,
                   callbacks=[CallbackPublic.of(report) for report in message.callbacks])


class FaultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int | None = Field(default=None, ge=400, le=599,
                               description="HTTP status of the failing answers (with code)", examples=[429])
    code: int | None = Field(default=None, ge=1,
                             description="Graph error code, e.g. 130429, 131056, 131026 (with status)",
                             examples=[130429])
    delay_seconds: float = Field(default=0, ge=0, le=120,
                                 description="Answer each of these sends only after this many seconds "
                                 "(a slow Meta); alone, the send then succeeds", examples=[3])
    count: int = Field(default=1, ge=1, le=10_000, description="How many sends the fault applies to")
    to: str | None = Field(default=None, description="Only sends to this phone; any phone if absent")
    details: str | None = Field(default=None, max_length=500, description="error_data.details to answer")

    @field_validator("to")
    @classmethod
    def _to_wa_id(cls, to: str | None) -> str | None:
        return None if to is None else _wa_id(to)

    @model_validator(mode="after")
    def _an_error_or_a_delay(self) -> Self:
        if (self.status is None) != (self.code is None):
            raise ValueError("give status and code together (an error), or neither (a delay only)")
        if self.status is None and self.delay_seconds <= 0:
            raise ValueError("a fault needs status and code (an error), delay_seconds > 0 (a slow answer), "
                             "or both")
        return self


class FaultPublic(BaseModel):
    id: int
    status: int | None
    code: int | None
    delay_seconds: float
    remaining: int
    to: str | None
    details: str | None

    @classmethod
    def of(cls, fault: Fault) -> "FaultPublic":
        return cls(id=fault.id, status=fault.status, code=fault.code, delay_seconds=fault.delay_seconds,
                   remaining=fault.remaining, to=fault.to, details=fault.details)
