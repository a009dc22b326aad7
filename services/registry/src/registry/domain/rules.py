"""Rules on codes, ticket prefixes, timezones and on what may be linked to what."""

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, product
from uuid import UUID
from zoneinfo import available_timezones

from registry.domain.errors import FieldIssue

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
_PREFIX = re.compile(r"^[A-Z]{1,3}$")


def normalize_code(raw: str) -> str:
    """Codes are how people and the seed data name things; compared upper-case."""
    code = raw.strip().upper()
    if not _CODE.match(code):
        raise ValueError(
            f'"{raw}" is not a code: use 1 to 40 letters, digits, "-" or "_", starting with a '
            'letter or digit, e.g. "MPP-KPG"'
        )
    return code


def normalize_prefix(raw: str) -> str:
    """The ticket prefix: "A" in "A-023". Letters only, since calls are read aloud."""
    prefix = raw.strip().upper()
    if not _PREFIX.match(prefix):
        raise ValueError(f'"{raw}" is not a ticket prefix: use 1 to 3 letters A–Z, e.g. "A" or "AB"')
    return prefix


def check_single_line(text: str) -> str:
    """Names and documents are shown on one line of a board, a kiosk or a chat."""
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise ValueError("must be one line of text, without control characters such as line breaks or NUL")
    return text


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    if name not in _timezones():
        raise ValueError(
            f'"{name}" is not an IANA timezone: use a name like "Asia/Makassar" (WITA), '
            '"Asia/Jakarta" (WIB) or "Asia/Jayapura" (WIT)'
        )
    return name


@dataclass(frozen=True)
class ServiceRef:
    """What the linking rules need to know about a service (layanan)."""

    id: UUID
    code: str
    site_id: UUID
    site_code: str
    agency_id: UUID
    agency_code: str
    active: bool


def counter_service_issues(
    *, site_id: UUID, agency_id: UUID, service_ids: Sequence[UUID], known: Mapping[UUID, ServiceRef]
) -> list[FieldIssue]:
    """A counter (loket) belongs to one agency at one site and serves only that agency's services there."""
    issues = []
    for index, service_id in enumerate(service_ids):
        field = f"service_ids.{index}"
        service = known.get(service_id)
        if service_ids.index(service_id) != index:
            issues.append(FieldIssue(field, f"service {service_id} is listed twice; list each service once"))
        elif service is None:
            issues.append(
                FieldIssue(field, f"no service with id {service_id}; use an id from GET /v1/services")
            )
        elif service.site_id != site_id:
            issues.append(
                FieldIssue(
                    field,
                    f"service {service.code} is offered at site {service.site_code}, not at this "
                    "counter's site; a counter serves only services of its own site",
                )
            )
        elif service.agency_id != agency_id:
            issues.append(
                FieldIssue(
                    field,
                    f"service {service.code} belongs to agency {service.agency_code}, not to this "
                    "counter's agency; a counter serves only its own agency's services",
                )
            )
    return issues


def journey_step_issues(
    *, site_id: UUID, steps: Sequence[UUID], known: Mapping[UUID, ServiceRef]
) -> list[FieldIssue]:
    """Every step of a journey (alur) is an active service at the journey's site."""
    issues = []
    for index, service_id in enumerate(steps):
        field = f"steps.{index}"
        service = known.get(service_id)
        if service is None:
            issues.append(
                FieldIssue(field, f"no service with id {service_id}; use an id from GET /v1/services")
            )
        elif service.site_id != site_id:
            issues.append(
                FieldIssue(
                    field,
                    f"service {service.code} is offered at site {service.site_code}, not at this "
                    "journey's site; every step must be a service of the journey's site",
                )
            )
        elif not service.active:
            issues.append(FieldIssue(field, f"service {service.code} is not active; activate it first"))
    return issues


@dataclass(frozen=True)
class ServiceKey:
    """The identifiers of a service that must be unique within its site."""

    id: UUID
    code: str
    prefix: str


def service_key_conflicts(key: ServiceKey, *, others: Sequence[ServiceKey]) -> list[FieldIssue]:
    """Another service of the same site already using ``key``'s code or ticket prefix."""
    issues = []
    for other in others:
        if other.id == key.id:
            continue
        if other.code == key.code:
            issues.append(
                FieldIssue(
                    "code", f"service code {key.code} is already used at this site; choose another code"
                )
            )
        if other.prefix == key.prefix:
            taken = {o.prefix for o in others if o.id != key.id}
            issues.append(
                FieldIssue(
                    "prefix",
                    f"ticket prefix {key.prefix} is already used at this site by "
                    f"service {other.code}; choose another prefix, e.g. "
                    f"{suggest_prefix(key.prefix, taken)}",
                )
            )
    return issues


def suggest_prefix(wanted: str, taken: set[str]) -> str:
    """A free prefix close to ``wanted``: a free single letter, else ``wanted`` plus a letter."""
    letters = string.ascii_uppercase
    candidates = chain(
        letters,
        (wanted[:2] + letter for letter in letters),
        ("".join(triple) for triple in product(letters, repeat=3)),
    )
    return next(candidate for candidate in candidates if candidate not in taken)
