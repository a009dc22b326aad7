"""Meta's webhook: only bodies signed with our app secret count; payload items are read safely."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from notify.adapters.meta_webhook import parse_webhook, sign, signature_valid

SECRET = "app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
NOW = datetime(2026, 6, 11, 1, 0, tzinfo=UTC)


def test_a_body_signed_with_the_app_secret_is_accepted() -> None:
    header = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == header
    assert signature_valid(SECRET, BODY, header)
    assert signature_valid(SECRET, BODY, header.upper().replace("SHA256=", "sha256="))


def test_a_wrong_missing_or_malformed_signature_is_refused() -> None:
    good = sign(SECRET, BODY)
    assert not signature_valid(SECRET, BODY, None)
    assert not signature_valid(SECRET, BODY, "")
    assert not signature_valid(SECRET, BODY, good.removeprefix("sha256="))  # no scheme
    assert not signature_valid(SECRET, BODY, sign("another-secret", BODY))
    assert not signature_valid(SECRET, BODY + b" ", good)  # the body changed
    assert not signature_valid(SECRET, BODY, "sha256=é")  # not even hex


def payload(value: dict[str, object]) -> dict[str, object]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


def test_inbound_texts_and_statuses_are_read_from_metas_shape() -> None:
    batch = parse_webhook(
        payload(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"profile": {"name": "Maria"}, "wa_id": "6281234567890"}],
                "messages": [
                    {
                        "from": "6281234567890",
                        "id": "wamid.IN1",
                        "timestamp": "1781139600",
                        "type": "text",
                        "text": {"body": "halo"},
                    }
                ],
                "statuses": [
                    {
                        "id": "wamid.OUT1",
                        "status": "delivered",
                        "timestamp": "1781139660",
                        "recipient_id": "6281234567890",
                    },
                    {
                        "id": "wamid.OUT2",
                        "status": "failed",
                        "timestamp": "1781139660",
                        "errors": [{"code": 131026, "title": "Message undeliverable"}],
                    },
                ],
            }
        ),
        received_at=NOW,
    )
    [inbound] = batch.inbound
    assert (inbound.wamid, inbound.sender.e164, inbound.kind, inbound.text) == (
        "wamid.IN1",
        "+6281234567890",
        "text",
        "halo",
    )
    assert inbound.sent_at == datetime.fromtimestamp(1781139600, UTC)
    assert [(s.wamid, s.status, s.error_code) for s in batch.statuses] == [
        ("wamid.OUT1", "delivered", None),
        ("wamid.OUT2", "failed", 131026),
    ]


def test_items_of_unknown_shape_are_skipped_and_the_rest_kept() -> None:
    batch = parse_webhook(
        payload(
            {
                "messages": [
                    {"id": "wamid.X"},
                    "junk",
                    {"from": "not a phone", "id": "wamid.Y", "type": "text"},
                    {"from": "6281234567890", "id": "wamid.OK", "type": "image"},
                ],
                "statuses": [{"id": "wamid.Z", "status": "exploded"}],
            }
        ),
        received_at=NOW,
    )
    assert [m.wamid for m in batch.inbound] == ["wamid.OK"]
    assert batch.inbound[0].sent_at == NOW  # no timestamp: when we received it
    assert batch.statuses == []
    assert parse_webhook(json.loads('{"entry": "nonsense"}'), received_at=NOW).inbound == []


def test_oddly_shaped_payloads_are_skipped_not_crashed_on() -> None:
    now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    odd_payloads = [
        {"object": "whatsapp_business_account", "entry": 5},
        {"entry": [{"changes": {"value": {}}}]},
        {"entry": [{"changes": [{"value": {"messages": 3, "statuses": "sent"}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"id": "wamid.X", "status": "failed",
                                                         "errors": {"code": 1}}]}}]}]},
    ]
    batches = [parse_webhook(payload, received_at=now) for payload in odd_payloads]
    assert [len(b.inbound) for b in batches] == [0, 0, 0, 0]
    assert batches[3].statuses[0].error_code is None
