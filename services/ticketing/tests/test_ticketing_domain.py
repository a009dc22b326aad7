"""The queue's rules on their own: numbering, the local day, the line's order, transitions, phones."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from ticketing.domain.catalog import Counter, Service, Site
from ticketing.domain.counters import Desk
from ticketing.domain.errors import (
    CounterBusy,
    CounterClosed,
    IllegalTransition,
    InvalidPhone,
    PriorityNotOffered,
    QuotaReached,
    ServiceNotAvailable,
)
from ticketing.domain.hours import is_open, next_opening
from ticketing.domain.phone import normalise_phone
from ticketing.domain.priority import PriorityPolicy, ServiceHeads, split_heads
from ticketing.domain.tickets import (
    Priority,
    Ticket,
    ensure_can_issue,
    ensure_within_quota,
    format_number,
)


def next_in_line(
    tickets: list[Ticket], service_ids: tuple[UUID, ...], policy: PriorityPolicy | None = None
) -> Ticket | None:
    """The ticket a counter serving ``service_ids`` calls next (streaks at 0)."""
    policy = policy or PriorityPolicy()
    heads = [
        ServiceHeads(
            sid, *split_heads([t for t in tickets if t.status == "waiting" and t.service_id == sid]), 0
        )
        for sid in service_ids
    ]
    picked = policy.choose(heads)
    return picked[1].ticket if picked else None


def call_order(tickets: list[Ticket], policy: PriorityPolicy) -> list[str]:
    """The numbers of one service's line in the order the policy calls them."""
    waiting, streak, order = list(tickets), 0, []
    while waiting:
        choice = policy.choose_in_service(ServiceHeads(uuid4(), *split_heads(waiting), streak))
        assert choice is not None
        order.append(choice.ticket.number)
        streak = choice.streak
        waiting.remove(choice.ticket)
    return order


KUPANG = Site(id=uuid4(), code="MPP-KPG", name="MPP Kota Kupang", timezone="Asia/Makassar", active=True)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 WITA


def service(**changes: object) -> Service:
    fields: dict[str, object] = dict(
        id=uuid4(),
        site_id=KUPANG.id,
        agency_id=uuid4(),
        code="PKB-TAHUNAN",
        prefix="A",
        name_id="Pembayaran Pajak Kendaraan Tahunan",
        name_en="Annual vehicle tax",
        daily_quota=300,
        priority_enabled=True,
        active=True,
    )
    fields.update(changes)
    return Service(**fields)  # type: ignore[arg-type]


def ticket(svc: Service, seq: int, *, priority: Priority = "regular", at: datetime = T0) -> Ticket:
    t = Ticket.issue(
        id=uuid4(),
        service=svc,
        day=KUPANG.local_day(at),
        seq=seq,
        channel="kiosk",
        priority=priority,
        access_token=f"token-{seq}",
        issued_at=at,
    )
    t.issue_order = seq
    return t


def loket(*service_ids: UUID, active: bool = True) -> Counter:
    return Counter(
        id=uuid4(),
        site_id=KUPANG.id,
        agency_id=uuid4(),
        name="Loket 3",
        service_ids=service_ids,
        active=active,
    )


@pytest.mark.parametrize(("seq", "number"), [(1, "A-001"), (42, "A-042"), (999, "A-999"), (1000, "A-1000")])
def test_numbers_have_three_digits_and_grow_past_999(seq: int, number: str) -> None:
    assert format_number("A", seq) == number


def test_the_site_timezone_decides_the_day() -> None:
    # 23:30 UTC on 1 March is already 07:30 on 2 March in Kupang (WITA, UTC+8).
    assert KUPANG.local_day(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)) == date(2026, 3, 2)
    assert KUPANG.local_day(datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(2026, 3, 1)


def test_a_ticket_needs_an_aware_issue_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket(service(), 1, at=datetime(2026, 3, 2, 9, 0))


def test_priority_classes_go_first_then_issue_time() -> None:
    svc = service()
    early = ticket(svc, 1, at=T0)
    later = ticket(svc, 2, at=T0 + timedelta(minutes=5))
    elderly = ticket(svc, 3, priority="elderly", at=T0 + timedelta(minutes=10))
    pregnant = ticket(svc, 4, priority="pregnant", at=T0 + timedelta(minutes=11))
    line = [later, pregnant, early, elderly]
    order = []
    while (nxt := next_in_line(line, (svc.id,))) is not None:
        order.append(nxt.number)
        nxt.call(uuid4(), T0)
    assert order == ["A-003", "A-004", "A-001", "A-002"]


def test_at_most_two_priority_calls_in_a_row_while_regulars_wait() -> None:
    svc = service()
    regulars = [ticket(svc, n, at=T0 + timedelta(minutes=n)) for n in (1, 2)]
    priority = [ticket(svc, n, priority="elderly", at=T0 + timedelta(minutes=n)) for n in (3, 4, 5, 6, 7)]
    assert call_order(regulars + priority, PriorityPolicy(max_priority_run=2)) == [
        "A-003",
        "A-004",
        "A-001",
        "A-005",
        "A-006",
        "A-002",
        "A-007",
    ]
    assert call_order(regulars + priority, PriorityPolicy(max_priority_run=1))[:4] == [
        "A-003",
        "A-001",
        "A-004",
        "A-002",
    ]
    # Nobody regular waits: priority calls starve no one and do not count.
    assert call_order(priority[:3], PriorityPolicy(max_priority_run=1)) == ["A-003", "A-004", "A-005"]


def test_opening_hours_in_the_sites_timezone_with_closed_dates() -> None:
    hours = {"mon": [["08:00", "12:00"], ["13:00", "15:00"]], "tue": [["08:00", "15:00"]]}
    tz = "Asia/Makassar"
    assert is_open(hours, (), tz, T0)  # 09:00 WITA Monday
    lunch = T0 + timedelta(hours=3, minutes=30)  # 12:30 WITA
    assert not is_open(hours, (), tz, lunch)
    assert next_opening(hours, (), tz, lunch).isoformat() == "2026-03-02T13:00:00+08:00"  # type: ignore[union-attr]
    evening = T0 + timedelta(hours=8)
    assert next_opening(hours, ("2026-03-03",), tz, evening).isoformat() == "2026-03-09T08:00:00+08:00"  # type: ignore[union-attr]
    assert not is_open(hours, ("2026-03-02",), tz, T0)
    assert is_open(None, (), tz, T0), "no published hours: always open"


def test_same_instant_tickets_keep_their_issue_order() -> None:
    svc = service()
    first, second = ticket(svc, 1), ticket(svc, 2)
    assert next_in_line([second, first], (svc.id,)) is first


def test_a_counter_only_calls_its_own_services() -> None:
    ours, other = service(), service(prefix="B")
    assert next_in_line([ticket(other, 1)], (ours.id,)) is None


def test_inactive_service_and_missing_priority_line_are_refused() -> None:
    with pytest.raises(ServiceNotAvailable, match="not active"):
        ensure_can_issue(service(active=False), KUPANG, "regular")
    with pytest.raises(PriorityNotOffered) as refusal:
        ensure_can_issue(service(priority_enabled=False), KUPANG, "elderly")
    assert refusal.value.field == "priority"
    assert ensure_can_issue(service(priority_enabled=False), KUPANG, "regular") is KUPANG


def test_quota_allows_exactly_the_daily_quota() -> None:
    svc = service(daily_quota=2)
    ensure_within_quota(svc, 2)
    with pytest.raises(QuotaReached, match="quota of 2"):
        ensure_within_quota(svc, 3)
    ensure_within_quota(service(daily_quota=None), 10_000)


def test_a_ticket_moves_waiting_called_serving_done_and_never_back() -> None:
    t = ticket(service(), 1)
    counter_id = uuid4()
    with pytest.raises(IllegalTransition, match="not called"):
        t.start(T0)
    t.call(counter_id, T0)
    with pytest.raises(IllegalTransition, match="is called, not waiting"):
        t.call(uuid4(), T0)
    t.start(T0 + timedelta(minutes=1))
    t.finish(T0 + timedelta(minutes=6))
    assert (t.status, t.counter_id, t.finished_at) == ("done", counter_id, T0 + timedelta(minutes=6))


def test_a_closed_counter_cannot_call_and_a_deactivated_one_cannot_open() -> None:
    svc = service()
    desk = Desk(counter=loket(svc.id))
    with pytest.raises(CounterClosed, match="open it"):
        desk.call(ticket(svc, 1), T0)
    with pytest.raises(IllegalTransition, match="deactivated"):
        Desk(counter=loket(svc.id, active=False)).open()


def test_a_counter_finishes_its_ticket_before_calling_or_closing() -> None:
    svc = service()
    desk = Desk(counter=loket(svc.id))
    desk.open()
    first = ticket(svc, 1)
    desk.call(first, T0)
    with pytest.raises(CounterBusy, match="Loket 3 is still calling A-001"):
        desk.call(ticket(svc, 2), T0)
    with pytest.raises(IllegalTransition, match="start it first"):
        desk.finish(T0)
    desk.start(T0)
    with pytest.raises(CounterBusy, match="still serving A-001: finish it before you close"):
        desk.close()
    assert desk.finish(T0) is first
    assert desk.current is None
    desk.close()
    assert desk.status == "closed"


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812-3456-7890",
        "6281234567890",
        "+62 812 3456 7890",
        "+62 (0)812.3456.7890",
        " 62081234567890 ",
    ],
)
def test_indonesian_mobile_numbers_are_normalised(raw: str) -> None:
    assert normalise_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw", ["12345", "0212345678", "+61412345678", "08123", "0812345678901234", "08abc4567890", ""]
)
def test_implausible_numbers_are_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidPhone) as refusal:
        normalise_phone(raw)
    assert not raw or raw not in str(refusal.value)
