"""Which message each cause produces, and when."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from notify.domain.model import (
    Call,
    Recipient,
    ServiceInfo,
    SiteInfo,
    Ticket,
    Timing,
    advance_delivery,
    called_message,
    delivery_event,
    issue_due_at,
    issued_message,
)
from notify.domain.phone import PhoneNumber
from notify.domain.texts import Eta

NOW = datetime(2026, 6, 11, 1, 0, tzinfo=UTC)
TIMING = Timing()
PHONE = PhoneNumber.parse("+6281234567890")
SERVICE = ServiceInfo(
    name_id="Pembayaran Pajak Kendaraan Tahunan", name_en="Annual vehicle tax", documents_id=("KTP asli",)
)
SITE = SiteInfo(name="Mal Pelayanan Publik Kota Kupang", timezone="Asia/Makassar")
ETA = Eta(
    call_p10=NOW + timedelta(minutes=30),
    call_p50=NOW + timedelta(minutes=40),
    call_p90=NOW + timedelta(minutes=55),
    arrive_by=NOW + timedelta(minutes=25),
)


def ticket(**changes: object) -> Ticket:
    fields: dict[str, object] = {
        "ticket_id": uuid4(),
        "site_id": uuid4(),
        "service_id": uuid4(),
        "number": "A-001",
        "issued_at": NOW,
        "issue_due_at": issue_due_at(issued_at=NOW, seen_at=NOW, timing=TIMING),
    }
    return Ticket(**{**fields, **changes})  # type: ignore[arg-type]


def recipient_for(t: Ticket, locale: str = "id") -> Recipient:
    return Recipient(ticket_id=t.ticket_id, site_id=t.site_id, phone=PHONE, locale=locale)  # type: ignore[arg-type]


def test_the_issued_message_waits_for_the_estimate_then_goes_without_it() -> None:
    t = ticket()
    common = {
        "ticket": t,
        "recipient": recipient_for(t),
        "service": SERVICE,
        "site": SITE,
        "already_called": False,
        "timing": TIMING,
    }
    assert issued_message(eta=None, now=NOW + timedelta(seconds=29), **common) is None  # type: ignore[arg-type]
    with_eta = issued_message(eta=ETA, now=NOW + timedelta(seconds=1), **common)  # type: ignore[arg-type]
    assert with_eta is not None and "pukul 09:40 WITA" in with_eta.body
    late = issued_message(eta=None, now=NOW + timedelta(seconds=30), **common)  # type: ignore[arg-type]
    assert late is not None and "pukul" not in late.body and "*A-001*" in late.body
    assert late.cause_key == with_eta.cause_key == f"issued:{t.ticket_id}"
    assert late.expires_at == NOW + TIMING.issued_ttl


def test_the_wait_for_an_estimate_counts_from_when_notify_learned_of_the_ticket() -> None:
    seen_late = NOW + timedelta(minutes=5)
    assert issue_due_at(issued_at=NOW, seen_at=seen_late, timing=TIMING) == seen_late + timedelta(seconds=30)


def test_no_issued_message_without_a_recipient_or_once_the_ticket_was_called() -> None:
    t = ticket()
    common = {"ticket": t, "eta": ETA, "service": SERVICE, "site": SITE, "now": NOW, "timing": TIMING}
    assert issued_message(recipient=None, already_called=False, **common) is None  # type: ignore[arg-type]
    assert issued_message(recipient=recipient_for(t), already_called=True, **common) is None  # type: ignore[arg-type]


def test_the_english_message_uses_the_english_service_name() -> None:
    t = ticket()
    draft = issued_message(
        ticket=t,
        recipient=recipient_for(t, "en"),
        eta=ETA,
        service=SERVICE,
        site=SITE,
        already_called=False,
        now=NOW,
        timing=TIMING,
    )
    assert draft is not None and "for Annual vehicle tax" in draft.body and "Bring: KTP asli." in draft.body


def test_each_call_and_recall_is_its_own_cause() -> None:
    t = ticket()
    call = Call(ticket_id=t.ticket_id, recall=0, counter_id=uuid4(), service_id=t.service_id, called_at=NOW)
    first = called_message(
        call=call, recipient=recipient_for(t), ticket_number="A-001", counter_name="Loket 3", timing=TIMING
    )
    again = called_message(
        call=Call(**{**call.__dict__, "recall": 1}),
        recipient=recipient_for(t),
        ticket_number="A-001",
        counter_name="Loket 3",
        timing=TIMING,
    )
    assert first is not None and again is not None
    assert first.body == "Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang."
    assert "dipanggil ulang" in again.body
    assert first.cause_key != again.cause_key
    assert first.expires_at == NOW + TIMING.called_ttl
    assert (
        called_message(call=call, recipient=None, ticket_number="A-001", counter_name=None, timing=TIMING)
        is None
    )


def test_a_call_after_a_rejoin_is_a_new_cause_and_not_a_recall() -> None:
    t = ticket()
    before = Call(ticket_id=t.ticket_id, recall=1, counter_id=uuid4(), service_id=t.service_id, called_at=NOW)
    after = Call(**{**before.__dict__, "round": 1, "first_recall": 1})
    drafts = [
        called_message(call=c, recipient=recipient_for(t), ticket_number="A-001", counter_name="Loket 3",
                       timing=TIMING)
        for c in (before, after)
    ]
    assert drafts[0] is not None and drafts[1] is not None
    assert drafts[0].cause_key != drafts[1].cause_key
    assert drafts[1].body == "Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang."


def test_delivery_only_moves_forward_and_each_outcome_is_announced_once() -> None:
    assert advance_delivery("read", "delivered") == "read"
    assert advance_delivery("sent", "delivered") == "delivered"
    assert advance_delivery("failed", "read") == "failed"
    assert delivery_event("sent", "delivered") == "notification.delivered"
    assert delivery_event("sent", "read") == "notification.delivered"  # read before delivered
    assert delivery_event("read", "delivered") is None
    assert delivery_event("delivered", "read") is None
    assert delivery_event("delivered", "failed") == "notification.failed"
    assert delivery_event("failed", "failed") is None


def test_the_issued_message_waits_for_the_registry_and_never_shows_a_time_in_an_unknown_zone() -> None:
    t = ticket()
    common = {
        "ticket": t,
        "recipient": recipient_for(t),
        "eta": ETA,
        "service": SERVICE,
        "already_called": False,
        "timing": TIMING,
    }
    assert issued_message(site=None, now=NOW, **common) is None  # type: ignore[arg-type]
    late = issued_message(site=None, now=t.issue_due_at, **common)  # type: ignore[arg-type]
    assert late is not None
    assert late.body == (
        "Nomor antrean Anda *A-001* untuk Pembayaran Pajak Kendaraan Tahunan. "
        "Kami kirim pesan saat nomor Anda dipanggil. Bawa: KTP asli."
    )
    no_service = {**common, "service": None}
    assert issued_message(site=SITE, now=NOW, **no_service) is None  # type: ignore[arg-type]
    bare = issued_message(site=SITE, now=t.issue_due_at, **no_service)  # type: ignore[arg-type]
    assert bare is not None and bare.body.startswith("Nomor antrean Anda *A-001* di Mal Pelayanan Publik")
    assert "pukul 09:40 WITA" in bare.body
