"""Development secrets: generated once, kept in the state folder, overridable by ANTRE_* variables.

`make run` prints them so a developer can call the APIs; production sets real ones
(every service refuses the dev-only placeholders when ANTRE_ENV=prod).
"""

import base64
import os
import secrets as random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from antre_platform.sealed import generate_keypair, public_key_of


@dataclass(frozen=True)
class DevSecrets:
    admin_token: str
    internal_token: str
    notify_private_key: str
    notify_public_key: str
    phone_key: str
    whatsapp_token: str
    whatsapp_app_secret: str
    whatsapp_verify_token: str

    @classmethod
    def generate(cls) -> "DevSecrets":
        private, public = generate_keypair()
        return cls(
            admin_token=f"adm_{random.token_urlsafe(24)}",
            internal_token=random.token_urlsafe(32),
            notify_private_key=private,
            notify_public_key=public,
            phone_key=base64.b64encode(random.token_bytes(32)).decode(),
            whatsapp_token=f"EAAdev{random.token_urlsafe(24)}",
            whatsapp_app_secret=random.token_hex(16),
            whatsapp_verify_token=random.token_urlsafe(16),
        )

    @classmethod
    def load_or_create(cls, path: Path, environ: Mapping[str, str] = os.environ) -> "DevSecrets":
        """Read ``path`` (creating it on first use); ``ANTRE_<NAME>`` in the environment wins."""
        if path.exists():
            stored = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
            values = {f.name: stored.get(f"ANTRE_{f.name.upper()}", "") for f in fields(cls)}
            if not all(values.values()):
                values = {**asdict(cls.generate()), **{k: v for k, v in values.items() if v}}
        else:
            values = asdict(cls.generate())
        for name in values:
            override = environ.get(f"ANTRE_{name.upper()}")
            if override:
                values[name] = override
        if environ.get("ANTRE_NOTIFY_PRIVATE_KEY") and not environ.get("ANTRE_NOTIFY_PUBLIC_KEY"):
            values["notify_public_key"] = public_key_of(values["notify_private_key"])
        result = cls(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.as_env_file())
        path.chmod(0o600)
        return result

    def as_env(self) -> dict[str, str]:
        return {f"ANTRE_{name.upper()}": value for name, value in asdict(self).items()}

    def as_env_file(self) -> str:
        return "".join(f"{key}={value}\n" for key, value in self.as_env().items())
