"""The WhatsApp conversation on a real PostgreSQL: Meta's webhook in, the Graph API and
ticketing as fakes over real HTTP, what the citizen reads out."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import uvicorn
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import QueueForecast, RegistryChanged, ServiceFinished, TicketNoShow
from antre_devstack.ports import free_port
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from .conftest import NOW, PHONE, PHONE_DIGITS, FakeGraph, Hall, RunningNotify, StartNotify, open_window

WA_ID = "6281234567890"
STATUS_URL = "http://127.0.0.1:8002/t/tok-Status_Link-123"


@dataclass
class FakeTicketing:
    """Plays ticketing's ticket API: one ticket per Idempotency-Key."""

    url: str = ""
    takes: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens_seen: list[str | None] = field(default_factory=list)
    refuse_next: str | None = None

    def app(self) -> FastAPI:
        fake = FastAPI()

        @fake.post("/v1/tickets")
        async def take(
            request: Request, idempotency_key: str = Header(alias="Idempotency-Key")
        ) -> JSONResponse:
            body = await request.json()
            self.takes.append({**body, "idempotency_key": idempotency_key})
            if self.refuse_next:
                detail, self.refuse_next = self.refuse_next, None
                return JSONResponse({"title": "Conflict", "status": 409, "detail": detail}, status_code=409)
            if idempotency_key not in self.keys:
                self.keys[idempotency_key] = {
                    "id": str(uuid4()),
                    "number": f"A-{len(self.keys) + 1:03d}",
                    "status": "waiting",
                    "service_id": body["service_id"],
                    "access_token": f"tok-{len(self.keys) + 1}",
                    "position": 3,
                }
                return JSONResponse(self.keys[idempotency_key], status_code=201)
            return JSONResponse(self.keys[idempotency_key], status_code=200)

        @fake.get("/v1/tickets/{ticket_id}")
        async def view(ticket_id: str, authorization: str | None = Header(default=None)) -> JSONResponse:
            self.tokens_seen.append(authorization)
            ticket = self._ticket(ticket_id)
            return JSONResponse(ticket) if ticket else JSONResponse({"detail": "no"}, status_code=404)

        @fake.post("/v1/tickets/{ticket_id}/cancel")
        async def cancel(ticket_id: str, authorization: str | None = Header(default=None)) -> JSONResponse:
            self.tokens_seen.append(authorization)
            ticket = self._ticket(ticket_id)
            if ticket is None or ticket["status"] != "waiting":
                return JSONResponse({"detail": "only a waiting ticket can be cancelled"}, status_code=409)
            ticket["status"] = "cancelled"
            return JSONResponse(ticket)

        @fake.post("/v1/tickets/{ticket_id}/rejoin")
        async def rejoin(ticket_id: str, authorization: str | None = Header(default=None)) -> JSONResponse:
            self.tokens_seen.append(authorization)
            ticket = self._ticket(ticket_id)
            if ticket is None or ticket["status"] != "no_show":
                return JSONResponse({"detail": "only a missed ticket can rejoin"}, status_code=409)
            ticket.update(status="waiting", position=5)
            return JSONResponse(ticket)

        return fake

    def _ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return next((t for t in self.keys.values() if t["id"] == ticket_id), None)


@pytest.fixture
async def fake_ticketing() -> AsyncIterator[FakeTicketing]:
    fake = FakeTicketing()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    await asyncio.wait_for(task, 10)


def _inbound(wamid: str, message: dict[str, Any]) -> dict[str, Any]:
    item = {"from": WA_ID, "id": wamid, "timestamp": str(int(NOW.timestamp())), **message}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "100200300"},
                            "contacts": [{"profile": {"name": "Maria"}, "wa_id": WA_ID}],
                            "messages": [item],
                        },
                    }
                ],
            }
        ],
    }


def said(wamid: str, text: str) -> dict[str, Any]:
    return _inbound(wamid, {"type": "text", "text": {"body": text}})


def tapped(wamid: str, reply_id: str, *, kind: str = "list_reply") -> dict[str, Any]:
    return _inbound(
        wamid, {"type": "interactive", "interactive": {"type": kind, kind: {"id": reply_id, "title": "x"}}}
    )


class Citizen:
    """Maria, talking to notify over the webhook, reading what the fake Graph API received."""

    def __init__(self, notify: RunningNotify, graph: FakeGraph) -> None:
        self.notify = notify
        self.graph = graph
        self._n = 0

    async def send(self, payload: dict[str, Any]) -> None:
        response = await self.notify.webhook(payload)
        assert response.status_code == 200, response.text

    async def say(self, text: str) -> dict[str, Any]:
        self._n += 1
        return await self._expect_reply(said(f"wamid.IN-{self._n}", text))

    async def tap(self, reply_id: str, *, kind: str = "list_reply") -> dict[str, Any]:
        self._n += 1
        return await self._expect_reply(tapped(f"wamid.IN-{self._n}", reply_id, kind=kind))

    async def _expect_reply(self, payload: dict[str, Any]) -> dict[str, Any]:
        before = len(self.graph.requests)
        await self.send(payload)
        await self.notify.eventually(lambda: len(self.graph.requests) > before)
        return self.graph.requests[-1]


def text_of(request: dict[str, Any]) -> str:
    if request["type"] == "text":
        return str(request["text"]["body"])
    if request["type"] == "template":
        template = request["template"]
        values = [p["text"] for c in template["components"] for p in c["parameters"]]
        return f"{template['name']}: {' | '.join(values)}"
    return str(request["interactive"]["body"]["text"])


@pytest.fixture
async def talking(
    start_notify: StartNotify, fake_graph: FakeGraph, fake_ticketing: FakeTicketing, hall: Hall
) -> AsyncIterator[tuple[RunningNotify, Citizen]]:
    # Maria has not written yet: the window opens with her first message.
    async with start_notify(
        ticketing_url=fake_ticketing.url, action_poll_seconds=0.05, window_open=False
    ) as notify:
        agency = new_event(
            type="registry.changed",
            source="antre/registry",
            site_id="platform",
            subject=hall.agency_id,
            time=NOW,
            data=RegistryChanged(
                entity="agency",
                id=hall.agency_id,
                op="upsert",
                state={"id": str(hall.agency_id), "code": "SAMSAT", "name": "SAMSAT NTT", "active": True},
            ),
        )
        forecast = new_event(
            type="queue.forecast",
            source="antre/estimation",
            site_id=hall.site_id,
            subject=hall.service_id,
            time=NOW,
            data=QueueForecast(
                service_id=hall.service_id,
                at=NOW,
                waiting=4,
                open_counters=1,
                wait_p10=10,
                wait_p50=20,
                wait_p90=35,
            ),
        )
        await notify.deliver(*hall.registry(), agency, forecast)
        yield notify, Citizen(notify, fake_graph)


async def test_menu_choose_travel_time_takes_one_ticket_and_the_issued_message_follows(
    talking: tuple[RunningNotify, Citizen], fake_ticketing: FakeTicketing, hall: Hall, fake_graph: FakeGraph
) -> None:
    notify, maria = talking
    menu = await maria.say("MENU")
    assert menu["type"] == "interactive" and menu["interactive"]["type"] == "list"
    [section] = menu["interactive"]["action"]["sections"]
    assert section["title"] == "SAMSAT NTT"
    [row] = section["rows"]
    assert row["id"] == f"svc:{hall.service_id}" and "tunggu ± 20 menit" in row["description"]

    chosen = await maria.tap(row["id"])
    assert "KTP asli" in text_of(chosen) and "STNK asli" in text_of(chosen)
    buttons = chosen["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["< 15 menit", "15–30 menit", "> 30 menit"]

    # Meta delivers the tap three times: still one ticket.
    tap = tapped("wamid.TRAVEL", buttons[1]["reply"]["id"], kind="button_reply")
    for _ in range(3):
        await maria.send(tap)
    await notify.eventually(lambda: len(fake_ticketing.takes) >= 1)
    await asyncio.sleep(0.3)
    [take] = fake_ticketing.takes
    assert take["channel"] == "whatsapp" and take["travel_minutes"] == 30
    assert take["phone"] == PHONE and take["idempotency_key"] == "whatsapp:wamid.TRAVEL"

    # Ticketing hands the phone back and the queue events arrive: the issued message.
    ticket_id = UUID(next(iter(fake_ticketing.keys.values()))["id"])
    await notify.deliver(hall.issued(ticket_id, travel_minutes=30), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.eventually(lambda: any("A-001" in text_of(r) for r in fake_graph.requests))
    issued = text_of(fake_graph.requests[-1])
    # arrive by 09:25 minus 30 minutes of travel is before 09:00: leave now.
    assert "Nomor antrean Anda *A-001*" in issued and "Silakan berangkat sekarang" in issued


async def test_status_and_batal_use_the_kept_access_token(
    talking: tuple[RunningNotify, Citizen], fake_ticketing: FakeTicketing, hall: Hall
) -> None:
    notify, maria = talking
    assert "belum punya nomor" in text_of(await maria.say("STATUS"))
    await maria.send(tapped("wamid.T1", f"trv:{hall.service_id}:15", kind="button_reply"))
    await notify.eventually(lambda: len(fake_ticketing.keys) == 1)
    await asyncio.sleep(0.2)
    status = text_of(await maria.say("STATUS"))
    assert status.startswith("Nomor *A-001*: menunggu") and "2 orang di depan Anda" in status
    assert "dibatalkan" in text_of(await maria.say("BATAL"))
    assert "tidak bisa dibatalkan" in text_of(await maria.say("batal"))
    assert fake_ticketing.tokens_seen and all(t == "Bearer tok-1" for t in fake_ticketing.tokens_seen)


async def test_a_refused_ticket_is_explained(
    talking: tuple[RunningNotify, Citizen], fake_ticketing: FakeTicketing, hall: Hall
) -> None:
    _, maria = talking
    fake_ticketing.refuse_next = "this phone already waits for this service"
    reply = await maria.tap(f"trv:{hall.service_id}:15", kind="button_reply")
    assert "belum bisa diambil (this phone already waits for this service)" in text_of(reply)


async def test_bahasa_switches_the_whole_conversation_to_english(
    talking: tuple[RunningNotify, Citizen],
) -> None:
    _, maria = talking
    assert "English" in text_of(await maria.say("BAHASA"))
    menu = await maria.say("menu")
    assert menu["interactive"]["action"]["sections"][0]["rows"][0]["title"] == "Annual vehicle tax"
    assert "Sorry" in text_of(await maria.say("¿dónde está?"))


async def test_berhenti_stops_every_message_until_mulai(
    talking: tuple[RunningNotify, Citizen], fake_graph: FakeGraph, hall: Hall
) -> None:
    notify, maria = talking
    assert "MULAI" in text_of(await maria.say("BERHENTI"))
    sent = len(fake_graph.requests)
    ticket_id = uuid4()
    await maria.send(said("wamid.AFTER", "MENU"))
    await notify.deliver(hall.issued(ticket_id), hall.estimated(ticket_id), hall.called(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await asyncio.sleep(0.5)
    assert len(fake_graph.requests) == sent
    back = await maria.say("MULAI")
    assert back["type"] == "interactive" or "kembali" in text_of(back)


async def test_finished_service_asks_the_survey_and_the_answer_becomes_an_event(
    talking: tuple[RunningNotify, Citizen], fake_graph: FakeGraph, hall: Hall
) -> None:
    notify, maria = talking
    ticket_id = uuid4()
    await notify.deliver(hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    finished = new_event(
        type="service.finished",
        source="antre/ticketing",
        site_id=hall.site_id,
        subject=hall.counter_id,
        time=NOW,
        data=ServiceFinished(
            ticket_id=ticket_id, counter_id=hall.counter_id, service_id=hall.service_id, finished_at=NOW
        ),
    )
    await notify.deliver(finished, finished)
    # Maria never wrote to us: outside the 24-hour window, so the approved template goes.
    await notify.eventually(lambda: any("antre_survei_skm_v1" in text_of(r) for r in fake_graph.requests))
    assert [r["template"]["language"]["code"] for r in fake_graph.requests if r["type"] == "template"] == [
        "id",
        "id",
    ]
    assert "Terima kasih" in text_of(await maria.say("5 petugas ramah"))
    [event] = await notify.outbox_events("survey.answered")
    assert event["data"]["score"] == 5 and event["data"]["comment"] == "petugas ramah"
    assert event["data"]["ticket_id"] == str(ticket_id)
    assert PHONE_DIGITS not in str(event)
    # A later digit is no survey answer any more.
    assert "Maaf" in text_of(await maria.say("4"))
    assert len(await notify.outbox_events("survey.answered")) == 1


async def test_an_image_gets_a_short_help_not_silence(talking: tuple[RunningNotify, Citizen]) -> None:
    _, maria = talking
    reply = await maria._expect_reply(_inbound("wamid.IMG", {"type": "image", "image": {"id": "m1"}}))
    assert "hanya bisa membaca pesan teks" in text_of(reply)


@pytest.mark.parametrize("last_wrote", [None, NOW - timedelta(hours=25)])
async def test_outside_the_24_hour_window_the_approved_template_goes(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, last_wrote: datetime | None
) -> None:
    async with start_notify(window_open=False) as notify:
        if last_wrote is not None:
            await open_window(notify.app, at=last_wrote)
        ticket_id = uuid4()
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id, status_url=STATUS_URL)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        [request] = fake_graph.requests
        assert request["type"] == "template"
        template = request["template"]
        assert template["name"] == "antre_nomor_antrean_v2" and template["language"] == {"code": "id"}
        values = [p["text"] for p in template["components"][0]["parameters"]]
        assert values == [
            "A-001",
            "Pembayaran Pajak Kendaraan Tahunan",
            "pukul 09:40 WITA (antara 09:30–09:55)",
            "Berangkat paling lambat 09:10 WITA.",
            "Bawa: KTP asli, STNK asli.",
            STATUS_URL,
        ]


async def test_inside_the_window_the_full_free_form_message_goes(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall
) -> None:
    async with start_notify(window_open=False) as notify:
        await open_window(notify.app, at=NOW - timedelta(hours=23))
        ticket_id = uuid4()
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id, status_url=STATUS_URL)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        assert fake_graph.requests[0]["type"] == "text"
        body = fake_graph.requests[0]["text"]["body"]
        assert "Bawa: KTP asli, STNK asli." in body
        assert body.endswith(f"\nPantau antrean Anda: {STATUS_URL}"), body


async def test_a_no_show_offers_tunda_and_tunda_rejoins_once(
    talking: tuple[RunningNotify, Citizen], fake_ticketing: FakeTicketing, fake_graph: FakeGraph, hall: Hall
) -> None:
    notify, maria = talking
    await maria.send(tapped("wamid.T1", f"trv:{hall.service_id}:15", kind="button_reply"))
    await notify.eventually(lambda: len(fake_ticketing.keys) == 1)
    ticket = next(iter(fake_ticketing.keys.values()))
    ticket_id = UUID(ticket["id"])
    await notify.deliver(hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    ticket["status"] = "no_show"
    missed = new_event(
        type="ticket.no_show",
        source="antre/ticketing",
        site_id=hall.site_id,
        subject=ticket_id,
        time=NOW,
        data=TicketNoShow(
            ticket_id=ticket_id, service_id=hall.service_id, at=NOW, counter_id=hall.counter_id
        ),
    )
    await notify.deliver(missed, missed)
    await notify.eventually(lambda: any("TUNDA" in text_of(r) for r in fake_graph.requests))
    assert sum("tidak datang" in text_of(r) for r in fake_graph.requests) == 1
    assert "masuk antrean lagi, posisi ke-5" in text_of(await maria.say("TUNDA"))
    assert "tidak bisa masuk antrean lagi" in text_of(await maria.say("TUNDA"))


def _missed(hall: Hall, ticket_id: UUID) -> Any:
    return new_event(
        type="ticket.no_show",
        source="antre/ticketing",
        site_id=hall.site_id,
        subject=ticket_id,
        time=NOW,
        data=TicketNoShow(
            ticket_id=ticket_id, service_id=hall.service_id, at=NOW, counter_id=hall.counter_id
        ),
    )


def _rejoined(hall: Hall, ticket_id: UUID, number: str) -> Any:
    data = {"ticket_id": str(ticket_id), "service_id": str(hall.service_id), "number": number,
            "at": NOW.isoformat(), "priority": "regular"}
    try:
        from antre_contracts.events import TicketRejoined
    except ImportError:  # an older contracts package: notify reads the raw data anyway
        return CloudEvent(id=str(uuid4()), source="antre/ticketing", type="ticket.rejoined",
                          siteid=str(hall.site_id), subject=str(ticket_id), time=NOW, data=data)
    return new_event(type="ticket.rejoined", source="antre/ticketing", site_id=hall.site_id,
                     subject=ticket_id, time=NOW, data=TicketRejoined.model_validate(data))


async def test_after_tunda_the_next_call_is_messaged_again_and_the_rejoin_confirmed_once(
    talking: tuple[RunningNotify, Citizen], fake_ticketing: FakeTicketing, fake_graph: FakeGraph, hall: Hall
) -> None:
    notify, maria = talking
    await maria.send(tapped("wamid.T2", f"trv:{hall.service_id}:15", kind="button_reply"))
    await notify.eventually(lambda: len(fake_ticketing.keys) == 1)
    ticket = next(iter(fake_ticketing.keys.values()))
    ticket_id, number = UUID(ticket["id"]), ticket["number"]
    await notify.deliver(hall.issued(ticket_id, number=number), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.deliver(hall.called(ticket_id, number=number))
    ticket["status"] = "no_show"
    await notify.deliver(_missed(hall, ticket_id))
    await notify.eventually(lambda: any("Balas *TUNDA*" in text_of(r) for r in fake_graph.requests))

    assert "masuk antrean lagi" in text_of(await maria.say("TUNDA"))
    rejoined = _rejoined(hall, ticket_id, number)
    await notify.deliver(rejoined, rejoined)
    # ticketing keeps its recall count across a rejoin: the call after it is recall 0 again
    await notify.deliver(hall.called(ticket_id, number=number))
    called = f"Nomor *{number}* dipanggil. Silakan menuju *Loket 3* sekarang."
    await notify.eventually(lambda: sum(text_of(r) == called for r in fake_graph.requests) == 2)
    await asyncio.sleep(0.5)
    texts = [text_of(r) for r in fake_graph.requests]
    assert sum("masuk antrean lagi" in t for t in texts) == 1, texts
    assert sum(t == called for t in texts) == 2, texts


async def test_a_rejoin_asked_elsewhere_is_confirmed_on_whatsapp_once(
    notify: RunningNotify, fake_graph: FakeGraph, hall: Hall
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)
    await notify.deliver(hall.called(ticket_id), _missed(hall, ticket_id))
    rejoined = _rejoined(hall, ticket_id, "A-001")
    await notify.deliver(rejoined, rejoined)
    await notify.eventually(lambda: any("masuk antrean lagi" in text_of(r) for r in fake_graph.requests))
    await notify.deliver(hall.called(ticket_id, recall=1))
    await notify.eventually(
        lambda: sum("dipanggil" in text_of(r) and "Loket 3" in text_of(r) for r in fake_graph.requests) == 2
    )
    await asyncio.sleep(0.5)
    texts = [text_of(r) for r in fake_graph.requests]
    assert sum("Nomor *A-001* masuk antrean lagi" in t for t in texts) == 1, texts
    assert sum("dipanggil" in t and "Loket 3" in t for t in texts) == 2, texts
    assert not any("dipanggil ulang" in t for t in texts), "the first call after a rejoin is no recall"
