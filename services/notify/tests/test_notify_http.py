"""Notify's HTTP surface on a real PostgreSQL: the hand-off, Meta's webhook and the
notifications list answer bad input with problems that say what to fix."""

import asyncio
from typing import Any
from uuid import uuid4

from antre_platform.sealed import generate_keypair, public_key_of, seal

ADMIN = {"Authorization": "Bearer test-admin-token"}
INTERNAL = {"Authorization": "Bearer test-internal-token"}


def assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]


def whatsapp(value: dict[str, Any]) -> dict[str, Any]:
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
                            "metadata": {
                                "display_phone_number": "6281100000000",
                                "phone_number_id": "100200300",
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def status(wamid: str, state: str, **extra: Any) -> dict[str, Any]:
    return whatsapp(
        {
            "statuses": [
                {
                    "id": wamid,
                    "status": state,
                    "timestamp": "1781139700",
                    "recipient_id": "6281234567890",
                    **extra,
                }
            ]
        }
    )


def inbound_text(wamid: str, text: str = "halo") -> dict[str, Any]:
    return whatsapp(
        {
            "contacts": [{"profile": {"name": "Maria"}, "wa_id": "6281234567890"}],
            "messages": [
                {
                    "from": "6281234567890",
                    "id": wamid,
                    "timestamp": "1781139600",
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


# The phone hand-off -----------------------------------------------------------------------


async def test_the_hand_off_refuses_a_missing_or_wrong_token(notify: Any, hall: Any) -> None:
    url = f"/internal/v1/recipients/{uuid4()}"
    body = {"sealed_phone": "x", "site_id": str(hall.site_id)}
    missing = await notify.http.put(url, json=body)
    assert_problem(missing, 401, "Authorization: Bearer")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_problem(
        await notify.http.put(url, json=body, headers={"Authorization": "Bearer nope"}),
        401,
        "ANTRE_INTERNAL_TOKEN",
    )


async def test_the_hand_off_refuses_a_box_it_cannot_open_or_a_number_it_cannot_use(
    notify: Any, hall: Any
) -> None:
    url = f"/internal/v1/recipients/{uuid4()}"
    _, stranger = generate_keypair()
    for sealed in ("not-a-box", seal(stranger, b"+6281234567890")):
        response = await notify.http.put(
            url, headers=INTERNAL, json={"sealed_phone": sealed, "site_id": str(hall.site_id)}
        )
        assert_problem(response, 422, "public key")
    ours = public_key_of(notify.settings.notify_private_key)
    response = await notify.http.put(
        url, headers=INTERNAL, json={"sealed_phone": seal(ours, b"1299"), "site_id": str(hall.site_id)}
    )
    assert_problem(response, 422, "not usable", "+62")
    assert "1299" not in response.json()["detail"]


async def test_the_hand_off_names_each_field_to_fix(notify: Any) -> None:
    response = await notify.http.put(
        f"/internal/v1/recipients/{uuid4()}", headers=INTERNAL, json={"sealed_phone": "", "locale": "fr"}
    )
    assert_problem(response, 422, "sealed_phone", "locale", "site_id")
    assert_problem(
        await notify.http.put(
            "/internal/v1/recipients/not-a-uuid",
            headers=INTERNAL,
            json={"sealed_phone": "x", "site_id": str(uuid4())},
        ),
        422,
        "ticket_id",
    )
    assert_problem(
        await notify.http.put(
            f"/internal/v1/recipients/{uuid4()}",
            headers=INTERNAL,
            content=b"{",
        ),
        422,
    )


async def test_a_repeated_hand_off_is_204_and_changes_nothing(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    assert (await notify.hand_off(ticket_id, hall.site_id, locale="id")).status_code == 204
    assert (
        await notify.hand_off(ticket_id, hall.site_id, locale="en", phone="+6289999999999")
    ).status_code == 204
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.requests[0]["to"] == "6281234567890"
    assert fake_graph.bodies()[0].startswith("Nomor antrean Anda")


# Meta's webhook ---------------------------------------------------------------------------


async def test_the_verification_handshake_echoes_the_challenge_only_for_our_token(notify: Any) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"}
    good = await notify.http.get("/webhooks/whatsapp", params=params)
    assert good.status_code == 200
    assert good.text == "1158201444"
    assert good.headers["content-type"].startswith("text/plain")
    assert_problem(
        await notify.http.get("/webhooks/whatsapp", params={**params, "hub.verify_token": "guess"}),
        403,
        "hub.verify_token",
    )
    assert_problem(
        await notify.http.get("/webhooks/whatsapp", params={**params, "hub.mode": "unsubscribe"}),
        403,
        "hub.mode",
    )
    assert_problem(await notify.http.get("/webhooks/whatsapp"), 403)
    assert_problem(
        await notify.http.get("/webhooks/whatsapp", params={**params, "hub.challenge": ""}),
        400,
        "hub.challenge",
    )


async def test_only_bodies_signed_with_the_app_secret_are_accepted(notify: Any, fake_graph: Any) -> None:
    payload = inbound_text("wamid.SIGNED")
    assert_problem(await notify.webhook(payload, signature=""), 401, "X-Hub-Signature-256")
    assert_problem(await notify.webhook(payload, secret="not-the-app-secret"), 401, "X-Hub-Signature-256")
    assert_problem(await notify.webhook(payload, signature="sha256=" + "0" * 64), 401)
    await asyncio.sleep(0.2)
    assert fake_graph.requests == [], "nothing unsigned may cause a message"
    accepted = await notify.webhook(payload)
    assert accepted.status_code == 200
    assert accepted.json() == {"status": "received", "messages": 1, "statuses": 0}


async def test_a_signed_body_that_is_not_json_is_a_400(notify: Any) -> None:
    from notify.adapters.meta_webhook import sign

    raw = b"not json"
    response = await notify.http.post(
        "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": sign("test-app-secret", raw)}
    )
    assert_problem(response, 400, "JSON")


async def test_an_inbound_text_gets_one_help_reply_even_when_meta_retries(
    notify: Any, fake_graph: Any
) -> None:
    for _ in range(3):
        assert (await notify.webhook(inbound_text("wamid.IN-1", "apa ini?"))).status_code == 200
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.requests[0]["to"] == "6281234567890"
    [help_text] = fake_graph.bodies()
    assert help_text.startswith("Maaf, kami belum mengerti") and "*MENU*" in help_text
    await notify.webhook(inbound_text("wamid.IN-2", "BANTUAN"))
    await notify.eventually(lambda: len(fake_graph.requests) == 2)
    await asyncio.sleep(0.3)
    assert len(fake_graph.requests) == 2


async def test_duplicate_status_callbacks_count_once(notify: Any, hall: Any, fake_graph: Any) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)

    async def sent() -> bool:
        return [n["wamid"] for n in await notify.notifications(ticket_id)] == ["wamid.fake1"]

    await notify.eventually(sent)
    for callback in (
        status("wamid.fake1", "sent"),
        status("wamid.fake1", "delivered"),
        status("wamid.fake1", "delivered"),
        status("wamid.fake1", "read"),
        status("wamid.fake1", "delivered"),
        status("wamid.fake1", "read"),
    ):
        assert (await notify.webhook(callback)).status_code == 200
    [listed] = await notify.notifications(ticket_id)
    assert listed["delivery_status"] == "read"
    assert listed["delivered_at"] and listed["read_at"]
    [delivered] = await notify.outbox_events("notification.delivered")
    assert delivered["data"]["ticket_id"] == str(ticket_id) and delivered["data"]["kind"] == "ticket_issued"


async def test_a_failed_delivery_is_reported_once_with_metas_code(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)

    async def sent() -> bool:
        return [n["wamid"] for n in await notify.notifications(ticket_id)] == ["wamid.fake1"]

    await notify.eventually(sent)
    failed = status("wamid.fake1", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
    await notify.webhook(failed)
    await notify.webhook(failed)
    [listed] = await notify.notifications(ticket_id)
    assert listed["delivery_status"] == "failed" and listed["error_code"] == 131026
    [event] = await notify.outbox_events("notification.failed")
    assert event["data"]["error_code"] == 131026


async def test_a_status_that_arrives_before_the_send_call_answered_is_not_lost(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    # Meta can call the webhook before its answer to the send reaches us.
    await notify.webhook(status("wamid.fake1", "delivered"))
    ticket_id = uuid4()
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.hand_off(ticket_id, hall.site_id)

    async def delivered() -> bool:
        return [n["delivery_status"] for n in await notify.notifications(ticket_id)] == ["delivered"]

    await notify.eventually(delivered)
    assert len(await notify.outbox_events("notification.delivered")) == 1


# Notifications for staff ---------------------------------------------------------------------


async def test_the_notifications_list_needs_the_admin_token_and_a_ticket_id(notify: Any) -> None:
    assert_problem(
        await notify.http.get("/v1/notifications", params={"ticket_id": str(uuid4())}),
        401,
        "ANTRE_ADMIN_TOKEN",
    )
    assert_problem(
        await notify.http.get("/v1/notifications", params={"ticket_id": str(uuid4())}, headers=INTERNAL), 401
    )
    assert_problem(await notify.http.get("/v1/notifications", headers=ADMIN), 422, "ticket_id")
    assert_problem(
        await notify.http.get("/v1/notifications", params={"ticket_id": "A-001"}, headers=ADMIN),
        422,
        "ticket_id",
    )
    ticket_id = uuid4()
    empty = await notify.http.get("/v1/notifications", params={"ticket_id": str(ticket_id)}, headers=ADMIN)
    assert empty.status_code == 200
    assert empty.json() == {"ticket_id": str(ticket_id), "notifications": []}


async def test_health_and_readiness(notify: Any) -> None:
    assert (await notify.http.get("/healthz")).json() == {"status": "ok"}
    ready = await notify.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": True}
    paths = (await notify.http.get("/openapi.json")).json()["paths"]
    assert {"/internal/v1/recipients/{ticket_id}", "/webhooks/whatsapp", "/v1/notifications"} <= set(paths)
