"""Settings: dev defaults work out of the box; production refuses them; keys are checked."""

import pytest
from antre_platform.sealed import public_key_of, seal, unseal
from notify.settings import Settings
from pydantic import ValidationError


def test_dev_defaults_are_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.http_port == 8004
    assert settings.database_url.endswith("/notify")
    assert settings.graph_messages_url == "http://127.0.0.1:8009/v21.0/100200300/messages"
    # Ticketing's dev default must seal to this public key.
    public = public_key_of(settings.notify_private_key)
    assert public == "P9E5O102LyPYb0Qen-BNxQ2Cd28HT7tRjRWdg8dOnlA"
    assert unseal(settings.notify_private_key, seal(public, b"+62812")) == b"+62812"


def test_production_refuses_every_dev_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTRE_ENV", "prod")
    with pytest.raises(ValidationError) as caught:
        Settings()
    for name in (
        "ANTRE_ADMIN_TOKEN",
        "ANTRE_INTERNAL_TOKEN",
        "ANTRE_NOTIFY_PRIVATE_KEY",
        "ANTRE_PHONE_KEY",
        "ANTRE_WHATSAPP_TOKEN",
        "ANTRE_WHATSAPP_APP_SECRET",
        "ANTRE_WHATSAPP_VERIFY_TOKEN",
    ):
        assert name in str(caught.value)


def test_a_phone_key_that_is_not_32_bytes_of_base64_is_refused_with_a_recipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTRE_PHONE_KEY", "too-short")
    with pytest.raises(ValidationError, match="32 random bytes"):
        Settings()
    monkeypatch.setenv("ANTRE_PHONE_KEY", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")  # standard alphabet
    assert Settings().phone_key
