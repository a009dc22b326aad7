import asyncpg
from antre_platform.web import Problem, install_problem_handlers
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/nul")
    async def nul() -> None:
        raise asyncpg.exceptions.CharacterNotInRepertoireError(
            'invalid byte sequence for encoding "UTF8": 0x00'
        )

    @app.get("/problem")
    async def problem() -> None:
        raise Problem(409, "Loket 3 is closed: open it first", headers={"Retry-After": "5"})

    @app.post("/json")
    async def json_body(body: dict[str, int]) -> dict[str, int]:
        return body

    return app


def test_input_postgresql_cannot_store_is_a_422_not_a_500() -> None:
    response = TestClient(_app()).get("/nul")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "NUL" in response.json()["detail"]


def test_problems_keep_status_detail_and_headers() -> None:
    response = TestClient(_app()).get("/problem")
    assert response.status_code == 409 and response.headers["retry-after"] == "5"
    assert response.json() == {"type": "about:blank", "title": "Conflict", "status": 409,
                               "detail": "Loket 3 is closed: open it first"}


def test_malformed_json_says_so() -> None:
    response = TestClient(_app()).post(
        "/json", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]
