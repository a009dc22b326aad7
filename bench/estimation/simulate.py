"""Simulated MPP days from Ciw (an independent queueing simulator), written as v1 CloudEvents.

Each counter group (the counters that share one waiting line: one service, or several services
on the same counters) is one Ciw node simulated on its own; customer classes carry the service,
the priority and whether the citizen shows up. Ciw decides arrivals, the queue discipline
(priority classes, then first come first served) and service times; this module only turns its
records into the events the ticketing service would publish, and assigns each service to a
counter that is open and free at that moment.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ciw

WITA = ZoneInfo("Asia/Makassar")
_NAMESPACE = uuid.UUID("7d4f0b6e-2f6c-4a57-9d8e-0a3e4f5b6c7d")
NO_SHOW_HOLD = ciw.dists.Uniform(1.0, 3.0)  # minutes a counter waits for a no-show (call, recall, mark)


def _id(*parts: object) -> str:
    # Stable ids: the same scenario and seed give byte-identical event logs.
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    prefix: str
    prior_mean_min: float  # what the registry says
    service_time: Any  # a ciw distribution (minutes): what really happens
    true_mean_min: float
    arrival_rates: Sequence[float]  # per hour of the opening, citizens per minute
    no_show: float = 0.0
    priority_share: float = 0.0


@dataclass(frozen=True)
class CounterGroup:
    name: str
    services: Sequence[ServiceSpec]
    # (number of counters, until minute of the day) pairs; the last lasts to the end.
    schedule: Sequence[tuple[int, float]]
    # Minutes at which a counter change is unexpected (closed) rather than planned (paused).
    unexpected: frozenset[float] = frozenset()


@dataclass(frozen=True)
class DayPlan:
    day: date
    groups: Sequence[CounterGroup]
    arrivals_until_min: float
    hours: dict[str, list[list[str]]] | None = None


@dataclass
class EventLog:
    site_id: str
    events: list[tuple[float, int, int, dict[str, Any]]] = field(default_factory=list)
    _seq: int = 0

    def add(self, at: datetime, rank: int, type: str, subject: str, data: dict[str, Any]) -> None:
        self._seq += 1
        event = {
            "specversion": "1.0",
            "id": _id("event", self.site_id, at.date(), self._seq, type, subject),
            "source": "antre/ticketing",
            "type": type,
            "time": at.isoformat(),
            "subject": subject,
            "datacontenttype": "application/json",
            "siteid": self.site_id,
            "data": data,
        }
        self.events.append((at.timestamp(), rank, self._seq, event))

    def sorted(self) -> list[dict[str, Any]]:
        return [event for *_, event in sorted(self.events, key=lambda e: e[:3])]


# Order of events at the same instant: a finish frees a counter before the next call, a ticket
# is issued before it is called, a counter opens before it calls and pauses after it finishes.
_OPEN, _FINISH, _ISSUE, _CALL, _START, _PAUSE = range(6)


def registry_events(
    site_id: str, groups: Sequence[CounterGroup], hours: dict[str, Any] | None, at: datetime
) -> list[dict[str, Any]]:
    agency_id = _id("agency", site_id)
    states: list[tuple[str, str, dict[str, Any]]] = [
        (
            "site",
            site_id,
            {
                "id": site_id,
                "code": "MPP-SIM",
                "name": "MPP simulasi",
                "kind": "mpp",
                "timezone": "Asia/Makassar",
                "address": "-",
                "motto": "-",
                "hours": hours,
                "closed_dates": [],
                "active": True,
            },
        )
    ]
    for group in groups:
        for spec in group.services:
            service_id = _id("service", site_id, spec.code)
            states.append(
                (
                    "service",
                    service_id,
                    {
                        "id": service_id,
                        "site_id": site_id,
                        "agency_id": agency_id,
                        "code": spec.code,
                        "prefix": spec.prefix,
                        "name_id": spec.code,
                        "name_en": spec.code,
                        "mean_service_min": spec.prior_mean_min,
                        "daily_quota": 10000,
                        "documents_id": [],
                        "documents_en": [],
                        "hours": None,
                        "priority_enabled": True,
                        "active": True,
                    },
                )
            )
        for index in range(max(n for n, _ in group.schedule)):
            counter_id = _id("counter", site_id, group.name, index)
            states.append(
                (
                    "counter",
                    counter_id,
                    {
                        "id": counter_id,
                        "site_id": site_id,
                        "agency_id": agency_id,
                        "name": f"{group.name} {index + 1}",
                        "service_ids": [_id("service", site_id, s.code) for s in group.services],
                        "active": True,
                    },
                )
            )
    return [
        {
            "specversion": "1.0",
            "id": _id("registry", entity_id, at.isoformat()),
            "source": "antre/registry",
            "type": "registry.changed",
            "time": at.isoformat(),
            "subject": entity_id,
            "datacontenttype": "application/json",
            "siteid": site_id if entity != "agency" else "platform",
            "data": {"entity": entity, "id": entity_id, "op": "upsert", "state": state},
        }
        for entity, entity_id, state in states
    ]


def simulate_day(plan: DayPlan, *, site_id: str, seed: int) -> list[dict[str, Any]]:
    """The day's events, registry first, then every ticket and counter event in time order."""
    opening = datetime.combine(plan.day, time(8, 0), tzinfo=WITA)
    log = EventLog(site_id=site_id)
    for group_index, group in enumerate(plan.groups):
        _simulate_group(group, plan, log, opening=opening, seed=seed * 100 + group_index)
    return registry_events(site_id, plan.groups, plan.hours, opening - timedelta(minutes=30)) + log.sorted()


def _classes(group: CounterGroup) -> list[tuple[ServiceSpec, bool, bool]]:
    """(service, priority, shows) per Ciw customer class."""
    return [
        (spec, priority, shows)
        for spec in group.services
        for priority in (False, True)
        for shows in (True, False)
    ]


def _simulate_group(
    group: CounterGroup, plan: DayPlan, log: EventLog, *, opening: datetime, seed: int
) -> None:
    ciw.seed(seed)  # before the distributions: PoissonIntervals draws its arrival counts when built
    classes = _classes(group)
    names = [f"c{i}" for i in range(len(classes))]
    arrivals, services = {}, {}
    for name, (spec, priority, shows) in zip(names, classes, strict=True):
        share = (spec.priority_share if priority else 1 - spec.priority_share) * (
            1 - spec.no_show if shows else spec.no_show
        )
        rates = [rate * share for rate in spec.arrival_rates]
        endpoints = [60.0 * (i + 1) for i in range(len(rates))]
        arrivals[name] = [
            ciw.dists.PoissonIntervals(rates, endpoints, plan.arrivals_until_min) if share > 0 else None
        ]
        services[name] = [spec.service_time if shows else NO_SHOW_HOLD]
    counts = [n for n, _ in group.schedule]
    ends = [end for _, end in group.schedule]
    network = ciw.create_network(
        arrival_distributions=arrivals,
        service_distributions=services,
        number_of_servers=[ciw.Schedule(numbers_of_servers=counts, shift_end_dates=ends)],
        priority_classes={name: 0 if classes[i][1] else 1 for i, name in enumerate(names)},
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(ends[-1])
    records = sorted(
        simulation.get_all_records(only=["service"]), key=lambda r: (r.service_start_date, r.id_number)
    )
    _counter_events(group, log, opening=opening)
    _ticket_events(group, classes, names, records, log, opening=opening, seed=seed)


def _counter_ids(group: CounterGroup, site_id: str) -> list[str]:
    return [_id("counter", site_id, group.name, i) for i in range(max(n for n, _ in group.schedule))]


def _open_counters_at(group: CounterGroup, minute: float) -> int:
    start = 0.0
    for count, end in group.schedule:
        if start <= minute < end:
            return count
        start = end
    return group.schedule[-1][0]


def _counter_events(group: CounterGroup, log: EventLog, *, opening: datetime) -> None:
    counters = _counter_ids(group, log.site_id)
    service_ids = [_id("service", log.site_id, s.code) for s in group.services]
    previous, start = 0, 0.0
    for count, end in group.schedule:
        for index in range(min(previous, count), max(previous, count)):
            if count > previous:
                type, rank = "counter.opened", _OPEN
            else:
                type, rank = ("counter.closed" if start in group.unexpected else "counter.paused"), _PAUSE
            log.add(
                opening + timedelta(minutes=start),
                rank,
                type,
                counters[index],
                {
                    "counter_id": counters[index],
                    "service_ids": service_ids,
                    "at": (opening + timedelta(minutes=start)).isoformat(),
                },
            )
        previous, start = count, end


def _ticket_events(
    group: CounterGroup,
    classes: list[tuple[ServiceSpec, bool, bool]],
    names: list[str],
    records: list[Any],
    log: EventLog,
    *,
    opening: datetime,
    seed: int,
) -> None:
    counters = _counter_ids(group, log.site_id)
    free_at = [0.0] * len(counters)
    numbers: dict[str, int] = {}
    rng = random.Random(seed)
    for record in records:
        spec, priority, shows = classes[names.index(record.customer_class)]
        service_id = _id("service", log.site_id, spec.code)
        ticket_id = _id("ticket", log.site_id, opening.date(), group.name, record.id_number)
        numbers[spec.prefix] = numbers.get(spec.prefix, 0) + 1
        at = lambda minute: opening + timedelta(minutes=minute)  # noqa: E731
        start, end = record.service_start_date, record.service_end_date
        slot = _free_counter(free_at, _open_counters_at(group, start), start)
        free_at[slot] = end
        counter_id = counters[slot]
        log.add(
            at(record.arrival_date),
            _ISSUE,
            "ticket.issued",
            ticket_id,
            {
                "ticket_id": ticket_id,
                "number": f"{spec.prefix}-{numbers[spec.prefix]:03d}",
                "service_id": service_id,
                "site_id": log.site_id,
                "agency_id": _id("agency", log.site_id),
                "channel": rng.choice(["whatsapp", "kiosk", "walk_in"]),
                "priority": "elderly" if priority else "regular",
                "issued_at": at(record.arrival_date).isoformat(),
            },
        )
        log.add(
            at(start),
            _CALL,
            "counter.called",
            counter_id,
            {
                "ticket_id": ticket_id,
                "counter_id": counter_id,
                "service_id": service_id,
                "called_at": at(start).isoformat(),
                "recall": 0,
            },
        )
        if shows:
            log.add(
                at(start),
                _START,
                "service.started",
                ticket_id,
                {
                    "ticket_id": ticket_id,
                    "counter_id": counter_id,
                    "service_id": service_id,
                    "started_at": at(start).isoformat(),
                },
            )
            log.add(
                at(end),
                _FINISH,
                "service.finished",
                ticket_id,
                {
                    "ticket_id": ticket_id,
                    "counter_id": counter_id,
                    "service_id": service_id,
                    "finished_at": at(end).isoformat(),
                    "outcome": "done",
                },
            )
        else:
            log.add(
                at(end),
                _FINISH,
                "ticket.no_show",
                ticket_id,
                {
                    "ticket_id": ticket_id,
                    "service_id": service_id,
                    "at": at(end).isoformat(),
                    "counter_id": counter_id,
                },
            )


def _free_counter(free_at: list[float], open_count: int, start: float) -> int:
    """An open counter free at ``start`` (Ciw's own server ids do not survive shift changes)."""
    candidates = range(max(open_count, 1))
    free = [i for i in candidates if free_at[i] <= start + 1e-9]
    return free[0] if free else min(candidates, key=lambda i: free_at[i])
