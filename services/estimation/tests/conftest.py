"""A small MPP for estimation's tests: one site, one SAMSAT service, two counters.

``Hall`` writes the CloudEvents other services would send (registry.changed, ticket and
counter events), timed in minutes after 08:00 WITA on a Monday.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    CounterStateChanged,
    EventData,
    RegistryChanged,
    ServiceFinished,
    ServiceStarted,
    TicketCancelled,
    TicketIssued,
    TicketNoShow,
    TicketRejoined,
    TicketTransferred,
)

WITA = ZoneInfo("Asia/Makassar")
OPENING = datetime(2026, 5, 4, 8, 0, tzinfo=WITA)


class Hall:
    def __init__(self) -> None:
        self.site_id = uuid4()
        self.agency_id = uuid4()
        self.service_id = uuid4()
        self.other_service_id = uuid4()
        self.counter_ids = (uuid4(), uuid4())

    @staticmethod
    def at(minute: float) -> datetime:
        return OPENING + timedelta(minutes=minute)

    @staticmethod
    def ticket_id(issued: CloudEvent) -> UUID:
        return UUID(issued.data["ticket_id"])

    def _event(
        self,
        type: str,
        data: EventData,
        *,
        minute: float,
        source: str = "antre/ticketing",
        subject: UUID | None = None,
    ) -> CloudEvent:
        return new_event(
            type=type, source=source, site_id=self.site_id, data=data, time=self.at(minute), subject=subject
        )

    def _registry(self, entity: str, id: UUID, state: dict[str, Any], op: str = "upsert") -> CloudEvent:
        data = RegistryChanged(entity=entity, id=id, op=op, state={"id": str(id), **state})  # type: ignore[arg-type]
        return self._event("registry.changed", data, minute=-60, source="antre/registry", subject=id)

    def site(self) -> CloudEvent:
        return self._registry(
            "site",
            self.site_id,
            {
                "code": "MPP-KPG",
                "name": "Mal Pelayanan Publik Kota Kupang",
                "kind": "mpp",
                "timezone": "Asia/Makassar",
                "address": "Kota Kupang",
                "motto": "BESTI - Beres dan Pasti",
                "hours": {"mon": [["08:00", "15:00"]]},
                "closed_dates": [],
                "active": True,
            },
        )

    def service(
        self,
        *,
        mean_service_min: float = 5,
        priority_enabled: bool = True,
        service_id: UUID | None = None,
        op: str = "upsert",
    ) -> CloudEvent:
        service_id = service_id or self.service_id
        return self._registry(
            "service",
            service_id,
            {
                "site_id": str(self.site_id),
                "agency_id": str(self.agency_id),
                "code": "PKB-TAHUNAN",
                "prefix": "A",
                "name_id": "Pembayaran Pajak Kendaraan Tahunan",
                "name_en": "Annual vehicle tax",
                "mean_service_min": mean_service_min,
                "daily_quota": 300,
                "documents_id": ["KTP asli"],
                "documents_en": ["Original ID card"],
                "hours": None,
                "priority_enabled": priority_enabled,
                "active": True,
            },
            op=op,
        )

    def journey(self, journey_id: UUID, steps: list[UUID], *, op: str = "upsert") -> CloudEvent:
        """A journey (alur) as the registry emits it: the demo's shape, steps as service ids."""
        return self._registry(
            "journey",
            journey_id,
            {
                "site_id": str(self.site_id),
                "code": "PENDIRIAN-USAHA",
                "name_id": "Pendirian Usaha",
                "name_en": "Founding a company",
                "kind": "ekosistem",
                "steps": [str(step) for step in steps],
                "active": True,
            },
            op=op,
        )

    def counter(
        self, index: int = 0, *, service_ids: list[UUID] | None = None, op: str = "upsert"
    ) -> CloudEvent:
        counter_id = self.counter_ids[index]
        return self._registry(
            "counter",
            counter_id,
            {
                "site_id": str(self.site_id),
                "agency_id": str(self.agency_id),
                "name": f"Loket {index + 1}",
                "service_ids": [str(s) for s in (service_ids or [self.service_id])],
                "active": True,
            },
            op=op,
        )

    def counter_state(
        self, type: str, index: int = 0, *, minute: float = 0, service_ids: list[UUID] | None = None
    ) -> CloudEvent:
        data = CounterStateChanged(
            counter_id=self.counter_ids[index],
            at=self.at(minute),
            service_ids=service_ids if service_ids is not None else [self.service_id],
        )
        return self._event(type, data, minute=minute, subject=self.counter_ids[index])

    def issued(
        self,
        minute: float,
        *,
        priority: str = "regular",
        service_id: UUID | None = None,
        number: str = "A-001",
        journey_id: UUID | None = None,
        journey_step: int | None = None,
    ) -> CloudEvent:
        ticket_id = uuid4()
        data = TicketIssued(
            ticket_id=ticket_id,
            number=number,
            service_id=service_id or self.service_id,
            site_id=self.site_id,
            agency_id=self.agency_id,
            channel="whatsapp",
            priority=priority,
            issued_at=self.at(minute),
            journey_id=journey_id,
            journey_step=journey_step,
        )  # type: ignore[arg-type]
        return self._event("ticket.issued", data, minute=minute, subject=ticket_id)

    def called(self, ticket: CloudEvent, minute: float, *, recall: int = 0, index: int = 0) -> CloudEvent:
        data = CounterCalled(
            ticket_id=self.ticket_id(ticket),
            counter_id=self.counter_ids[index],
            service_id=self.service_id,
            called_at=self.at(minute),
            recall=recall,
            number="A-001",
            counter_name=f"Loket {index + 1}",
        )
        return self._event("counter.called", data, minute=minute, subject=self.counter_ids[index])

    def started(self, ticket: CloudEvent, minute: float) -> CloudEvent:
        data = ServiceStarted(
            ticket_id=self.ticket_id(ticket),
            counter_id=self.counter_ids[0],
            service_id=self.service_id,
            started_at=self.at(minute),
        )
        return self._event("service.started", data, minute=minute, subject=self.ticket_id(ticket))

    def finished(self, ticket: CloudEvent, minute: float) -> CloudEvent:
        data = ServiceFinished(
            ticket_id=self.ticket_id(ticket),
            counter_id=self.counter_ids[0],
            service_id=self.service_id,
            finished_at=self.at(minute),
        )
        return self._event("service.finished", data, minute=minute, subject=self.ticket_id(ticket))

    def no_show(self, ticket: CloudEvent, minute: float) -> CloudEvent:
        data = TicketNoShow(
            ticket_id=self.ticket_id(ticket),
            service_id=self.service_id,
            at=self.at(minute),
            counter_id=self.counter_ids[0],
        )
        return self._event("ticket.no_show", data, minute=minute, subject=self.ticket_id(ticket))

    def rejoined(self, ticket: CloudEvent, minute: float) -> CloudEvent:
        data = TicketRejoined(
            ticket_id=self.ticket_id(ticket),
            service_id=self.service_id,
            number=ticket.data["number"],
            at=self.at(minute),
            priority=ticket.data["priority"],
        )
        return self._event("ticket.rejoined", data, minute=minute, subject=self.ticket_id(ticket))

    def cancelled(self, ticket: CloudEvent, minute: float) -> CloudEvent:
        data = TicketCancelled(
            ticket_id=self.ticket_id(ticket), service_id=self.service_id, at=self.at(minute)
        )
        return self._event("ticket.cancelled", data, minute=minute, subject=self.ticket_id(ticket))

    def transferred(
        self, ticket: CloudEvent, minute: float, *, to_service_id: UUID
    ) -> tuple[CloudEvent, UUID]:
        new_ticket_id = uuid4()
        data = TicketTransferred(
            ticket_id=self.ticket_id(ticket),
            from_service_id=self.service_id,
            to_service_id=to_service_id,
            new_ticket_id=new_ticket_id,
            at=self.at(minute),
        )
        event = self._event("ticket.transferred", data, minute=minute, subject=self.ticket_id(ticket))
        return event, new_ticket_id


@pytest.fixture
def hall() -> Hall:
    return Hall()
