"""The Graph API send call: its exact request, and which answers are worth a retry."""

import json

import httpx
import pytest
from notify.adapters.graph_api import GraphApiClient
from notify.app.ports import RejectedSendError, TransientSendError, UncertainSendError

URL = "http://graph.test/v21.0/100200300/messages"


def client_answering(response: httpx.Response | Exception, seen: list[httpx.Request]) -> GraphApiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(response, Exception):
            raise response
        return response

    return GraphApiClient(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)), messages_url=URL, token="tok"
    )


async def test_a_text_goes_out_in_the_cloud_api_shape_and_returns_the_wamid() -> None:
    seen: list[httpx.Request] = []
    client = client_answering(
        httpx.Response(200, json={"messaging_product": "whatsapp", "messages": [{"id": "wamid.ABC"}]}), seen
    )
    assert await client.send_text(to_wa_id="6281234567890", body="Halo") == "wamid.ABC"
    [request] = seen
    assert str(request.url) == URL
    assert request.headers["Authorization"] == "Bearer tok"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo"},
    }


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"error": {"message": "oops", "code": 1}}),
        httpx.Response(503, text="down"),
        httpx.Response(429, json={"error": {"message": "slow down", "code": 130429}}),
        httpx.Response(400, json={"error": {"message": "pair rate limit", "code": 131056}}),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no answer to the handshake"),
    ],
)
async def test_throttling_server_errors_and_network_failures_are_transient(
    response: httpx.Response | Exception,
) -> None:
    with pytest.raises(TransientSendError):
        await client_answering(response, []).send_text(to_wa_id="6281234567890", body="Halo")


async def test_other_client_errors_are_final_and_keep_metas_code_without_digits() -> None:
    answer = httpx.Response(
        400, json={"error": {"message": "Recipient 6281234567890 not in allowed list", "code": 131030}}
    )
    with pytest.raises(RejectedSendError) as caught:
        await client_answering(answer, []).send_text(to_wa_id="6281234567890", body="Halo")
    assert caught.value.error_code == 131030
    assert "6281234567890" not in caught.value.title
    with pytest.raises(RejectedSendError) as no_code:
        await client_answering(httpx.Response(401, text="no"), []).send_text(to_wa_id="62812", body="x")
    assert no_code.value.error_code == 401


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("reset")],
)
async def test_a_lost_answer_is_uncertain_not_transient(failure: Exception) -> None:
    """The request reached Meta, which may have accepted it: retrying at once could send twice."""
    with pytest.raises(UncertainSendError):
        await client_answering(failure, []).send_text(to_wa_id="6281234567890", body="Halo")


async def test_each_send_carries_our_id_for_metas_status_callbacks() -> None:
    seen: list[httpx.Request] = []
    client = client_answering(httpx.Response(200, json={"messages": [{"id": "wamid.T"}]}), seen)
    await client.send_template(to_wa_id="6281234567890", template={"name": "x"}, tracking="m-1")
    await client.send_interactive(to_wa_id="6281234567890", interactive={"type": "button"}, tracking="m-2")
    assert [json.loads(r.content)["biz_opaque_callback_data"] for r in seen] == ["m-1", "m-2"]
