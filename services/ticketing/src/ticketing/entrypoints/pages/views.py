"""The state each page shows, as plain JSON-ready dicts: the same builder feeds the first
render and every live update, so a screen never shows two versions of the truth."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from ticketing.app import queries
from ticketing.app.access import Actor
from ticketing.bootstrap import Ticketing
from ticketing.domain.errors import NotFound
from ticketing.domain.tickets import priority_rank
from ticketing.entrypoints.http_tickets import site_snapshot
from ticketing.entrypoints.pages.hall import HallReads, Neighbours, minutes_between
from ticketing.entrypoints.pages.speech import announcement

# Indonesia's three zones have names every citizen knows; elsewhere the zone's own abbreviation.
_ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


@dataclass
class Hall:
    """What the pages need, wired once per app."""

    ticketing: Ticketing
    reads: HallReads
    neighbours: Neighbours


def zone_label(timezone: str, at: datetime) -> str:
    return _ZONE_NAMES.get(timezone) or at.astimezone(ZoneInfo(timezone)).strftime("%Z")


def local_hhmm(at: datetime | None, timezone: str) -> str | None:
    return None if at is None else at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


async def board_state(site_id: UUID, hall: Hall) -> dict[str, Any]:
    """Latest calls (newest first, each with what the board says aloud) and waits per agency."""
    snapshot = await site_snapshot(site_id, hall.ticketing)
    site = await hall.reads.site_state(site_id) or {}
    catalog = await hall.neighbours.catalog(site_id)
    busy = [s.service_id for s in snapshot.waiting_by_service if s.waiting]
    forecasts = await hall.neighbours.forecasts(busy)
    names = agency_names(catalog)
    agencies: dict[UUID, dict[str, Any]] = {}
    for service in snapshot.waiting_by_service:
        row = agencies.setdefault(
            service.agency_id,
            {
                "agency_id": str(service.agency_id),
                "name": names.get(service.agency_id) or service.name_id,
                "waiting": 0,
                "wait_min": None,
            },
        )
        row["waiting"] += service.waiting
        forecast = forecasts.get(service.service_id)
        if forecast is not None and service.waiting:
            # An agency's wait is that of its slowest busy line: no citizen is promised less.
            row["wait_min"] = max(row["wait_min"] or 0, round(float(forecast["wait_p50"])))
    timezone = str(site.get("timezone") or "Asia/Makassar")
    return {
        "site": {
            "id": str(site_id),
            "name": site.get("name", ""),
            "timezone": timezone,
            "zone": zone_label(timezone, snapshot.at),
        },
        "calls": [
            {
                "key": f"{call.ticket_id}:{call.recalls}",
                "number": call.number,
                "counter_name": call.counter_name,
                "called_at": call.called_at.isoformat(),
                "recalls": call.recalls,
                "status": call.status,
                "announcement": announcement(call.number, call.counter_name),
            }
            for call in snapshot.latest_calls
        ],
        "agencies": sorted(agencies.values(), key=lambda a: str(a["name"])),
    }


def agency_names(catalog: dict[str, Any] | None) -> dict[UUID, str]:
    names: dict[UUID, str] = {}
    for agency in (catalog or {}).get("agencies", []):
        if agency.get("id"):
            names[UUID(str(agency["id"]))] = str(agency.get("name") or agency.get("code"))
    return names


async def console_state(counter_id: UUID, hall: Hall, actor: Actor) -> dict[str, Any]:
    """The counter, the ticket at it, the waiting line of its services and where it may transfer."""
    ticketing = hall.ticketing
    async with ticketing.uow() as uow:
        counter = await uow.catalog.counter(counter_id)
        if counter is None:
            raise NotFound(f"No counter with id {counter_id}: check the console's address.")
        actor.ensure_may_act_on(counter)
        site_services = await uow.catalog.services_of_site(counter.site_id)
    names = {s.id: s.name_id for s in site_services}
    now = ticketing.clock.now()
    desk = await hall.reads.desk(counter_id)
    current = await hall.reads.ticket_at(counter_id)
    waiting = []
    for service_id in counter.service_ids:
        line = await queries.service_line(service_id, uow=ticketing.uow(), clock=ticketing.clock)
        waiting += line.waiting
    waiting.sort(key=lambda t: (priority_rank(t.priority), t.queued_at, t.issue_order or 0))
    return {
        "counter": {
            "id": str(counter.id),
            "name": counter.name,
            "site_id": str(counter.site_id),
            "status": desk.status,
            "pause_reason": desk.pause_reason,
        },
        "current": None
        if current is None
        else {
            "id": str(current["id"]),
            "number": current["number"],
            "status": current["status"],
            "service_id": str(current["service_id"]),
            "service_name": names.get(current["service_id"], ""),
            "channel": current["channel"],
            "priority": current["priority"],
            "recalls": current["recalls"],
            "waited_min": minutes_between(current["queued_at"], current["called_at"] or now),
        },
        "waiting": [
            {
                "number": t.number,
                "priority": t.priority,
                "service_name": names.get(t.service_id, ""),
                "waited_min": minutes_between(t.queued_at, now),
            }
            for t in waiting
        ],
        "transfer_to": [
            {"id": str(s.id), "name": s.name_id, "prefix": s.prefix}
            for s in site_services
            if s.active and s.id not in counter.service_ids
        ],
    }


async def status_state(access_token: str, hall: Hall) -> dict[str, Any]:
    """A citizen's ticket: where it stands, when it will likely be called, when to leave home."""
    ticket_id = await hall.reads.ticket_id_for(access_token)
    if ticket_id is None:
        raise NotFound("No ticket for this link: check the link you were sent.")
    ticketing = hall.ticketing
    details = await queries.ticket_details(
        ticket_id, uow=ticketing.uow(), actor=None, access_token=access_token
    )
    ticket = details.ticket
    async with ticketing.uow() as uow:
        service = await uow.catalog.service(ticket.service_id)
        site = await uow.catalog.site(ticket.site_id)
    timezone = site.timezone if site else "Asia/Makassar"
    estimate = await hall.neighbours.estimate(ticket.id) if ticket.status == "waiting" else None
    return {
        "ticket_id": str(ticket.id),
        "number": ticket.number,
        "status": ticket.status,
        # "day_ended" when the site's service day ended while the ticket waited (cancelled by the system).
        "reason": "day_ended" if ticket.cancelled_by == "system" else None,
        "service_name": service.name_id if service else "",
        "service_name_en": service.name_en if service else "",
        "site_name": site.name if site else "",
        "position": details.position,
        "counter_name": details.counter.name if details.counter else None,
        "zone": zone_label(timezone, ticketing.clock.now()),
        "estimate": _estimate_view(estimate, timezone, ticket.travel_minutes),
        "cancellable": ticket.status in ("waiting", "called"),
        "updated_local": ticketing.clock.now().astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S"),
        "issued_local": ticket.issued_at.astimezone(ZoneInfo(timezone)).strftime("%d-%m-%Y %H:%M"),
    }


def _estimate_view(
    estimate: dict[str, Any] | None, timezone: str, travel_minutes: int | None
) -> dict[str, Any] | None:
    if not estimate:
        return None
    arrive_by = datetime.fromisoformat(str(estimate["arrive_by"]))
    leave_by = None
    if travel_minutes is not None:
        leave_by = local_hhmm(arrive_by - timedelta(minutes=travel_minutes), timezone)
    return {
        "p10": local_hhmm(datetime.fromisoformat(str(estimate["call_p10"])), timezone),
        "p50": local_hhmm(datetime.fromisoformat(str(estimate["call_p50"])), timezone),
        "p90": local_hhmm(datetime.fromisoformat(str(estimate["call_p90"])), timezone),
        "arrive_by": local_hhmm(arrive_by, timezone),
        "leave_by": leave_by,
    }


async def kiosk_state(site_id: UUID, hall: Hall) -> dict[str, Any]:
    """Agencies and their active services with documents and the current wait, for the kiosk."""
    async with hall.ticketing.uow() as uow:
        site = await uow.catalog.site(site_id)
        if site is None:
            raise NotFound(f"No site with id {site_id}: check the kiosk's address.")
        services = [s for s in await uow.catalog.services_of_site(site_id) if s.active]
    details = await hall.reads.service_details(site_id)
    names = agency_names(await hall.neighbours.catalog(site_id))
    forecasts = await hall.neighbours.forecasts([s.id for s in services])
    agencies: dict[UUID, dict[str, Any]] = {}
    for service in sorted(services, key=lambda s: s.name_id):
        agency = agencies.setdefault(
            service.agency_id,
            {
                "id": str(service.agency_id),
                "name": names.get(service.agency_id) or service.name_id,
                "services": [],
            },
        )
        state = details.get(service.id, {})
        forecast = forecasts.get(service.id)
        agency["services"].append(
            {
                "id": str(service.id),
                "prefix": service.prefix,
                "name_id": service.name_id,
                "name_en": service.name_en,
                "documents_id": list(state.get("documents_id") or []),
                "documents_en": list(state.get("documents_en") or []),
                "priority_enabled": service.priority_enabled,
                "waiting": forecast.get("waiting") if forecast else None,
                "wait_min": round(float(forecast["wait_p50"])) if forecast else None,
            }
        )
    return {
        "site": {"id": str(site.id), "name": site.name},
        "agencies": sorted(agencies.values(), key=lambda a: str(a["name"])),
    }
