"""The registry's API schemas: ``XCreate`` (POST), ``XUpdate`` (PATCH), ``XPublic`` (answers).

``XPublic`` is also the ``state`` of every ``registry.changed`` event, so what the API
returns and what consumers receive are one shape. Create and update schemas refuse
unknown fields, so a misspelt field is reported instead of silently ignored.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from registry.domain import rules
from registry.domain.hours import parse_weekly_hours


def _explained(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Run a domain check; its ValueError message becomes the field's error, word for word."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except ValueError as exc:
            raise PydanticCustomError("invalid", "{reason}", {"reason": str(exc)}) from exc

    return validate


def _sorted_unique_dates(value: list[date]) -> list[date]:
    return sorted(set(value))


Code = Annotated[str, AfterValidator(_explained(rules.normalize_code)), Field(examples=["MPP-KPG"])]
Prefix = Annotated[str, AfterValidator(_explained(rules.normalize_prefix)), Field(examples=["A"])]
Timezone = Annotated[str, AfterValidator(_explained(rules.check_timezone)), Field(examples=["Asia/Makassar"])]
WeeklyHours = Annotated[
    dict[str, list[tuple[str, str]]],
    AfterValidator(_explained(parse_weekly_hours)),
    Field(
        description="Local opening ranges per weekday (mon..sun); a missing day is closed.",
        examples=[{"mon": [["08:00", "15:00"]], "fri": [["08:00", "11:30"], ["13:00", "15:00"]]}],
    ),
]
ClosedDates = Annotated[
    list[date],
    AfterValidator(_sorted_unique_dates),
    Field(
        max_length=366, description="Local dates the site is closed (holidays).", examples=[["2026-12-25"]]
    ),
]
_SingleLine = AfterValidator(_explained(rules.check_single_line))
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=160), _SingleLine]
CounterName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    _SingleLine,
    Field(examples=["Loket 3"]),
]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), _SingleLine]
Motto = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _SingleLine]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), _SingleLine]
Document = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _SingleLine]
Documents = Annotated[list[Document], Field(max_length=30, examples=[["KTP asli", "STNK asli"]])]
SiteKind = Literal["mpp", "outreach"]
# The two groups of the MPP Kota Kupang: linked services (a driving licence needs an
# active NIK and BPJS Kesehatan) and a related ecosystem (founding a company).
JourneyKind = Literal["terintegrasi", "ekosistem"]
MeanServiceMinutes = Annotated[float, Field(gt=0, le=480, description="prior mean service time, minutes")]
DailyQuota = Annotated[int, Field(ge=1, le=100_000, description="tickets that can be issued per local day")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Input):
    """PATCH bodies: fields left out keep their value; null is allowed only where it means something."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError("not_nullable", "cannot be null; leave the field out to keep its value")
        return value


# --- sites ------------------------------------------------------------------------------


class SiteBase(BaseModel):
    code: Code
    name: Name
    kind: SiteKind = "mpp"
    timezone: Timezone
    address: Address | None = None
    motto: Motto | None = None
    hours: WeeklyHours = Field(default_factory=dict)
    closed_dates: ClosedDates = Field(default_factory=list)
    active: bool = True


class SiteCreate(SiteBase, _Input):
    pass


class SiteUpdate(_Patch):
    nullable = frozenset({"address", "motto"})

    name: Name | None = None
    kind: SiteKind | None = None
    timezone: Timezone | None = None
    address: Address | None = None
    motto: Motto | None = None
    hours: WeeklyHours | None = None
    closed_dates: ClosedDates | None = None
    active: bool | None = None


class SitePublic(SiteBase):
    id: UUID


# --- agencies (instansi) ----------------------------------------------------------------


class AgencyBase(BaseModel):
    code: Code
    name: Name
    active: bool = True


class AgencyCreate(AgencyBase, _Input):
    pass


class AgencyPublic(AgencyBase):
    id: UUID


class ApiKeyCreate(_Input):
    label: Label | None = Field(default=None, examples=["SAMSAT queue app"])


class ApiKeyIssued(BaseModel):
    id: UUID
    agency_id: UUID
    prefix: str = Field(
        description="The visible start of the key, to tell keys apart.", examples=["ak_live_ab12cd34"]
    )
    key: str = Field(description="The key itself. Shown only in this answer: store it now.")
    label: str | None
    created_at: datetime


class ApiKeyPublic(BaseModel):
    """An agency key as listed: never the key itself, only what tells keys apart."""

    id: UUID
    agency_id: UUID
    prefix: str = Field(examples=["ak_live_ab12cd34"])
    label: str | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="to the minute; null if never used")
    revoked_at: datetime | None


class StaffTokenCreate(_Input):
    label: Label | None = Field(default=None, examples=["Petugas pagi Loket 3"])


class StaffTokenIssued(BaseModel):
    id: UUID
    counter_id: UUID
    agency_id: UUID
    prefix: str = Field(examples=["st_ab12cd34"])
    token: str = Field(description="The token itself. Shown only in this answer: hand it to the officer now.")
    label: str | None
    created_at: datetime


class StaffTokenPublic(BaseModel):
    id: UUID
    counter_id: UUID
    agency_id: UUID
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


CredentialKind = Literal["agency_key", "staff_token"]


class CredentialPublic(BaseModel):
    """The ``state`` of a ``registry.changed`` event with entity "credential".

    Other services check a bearer credential against ``sha256`` (hex SHA-256 of the whole
    secret) from their own read model; the secret itself never leaves the answer that issued it.
    """

    id: UUID
    kind: CredentialKind
    agency_id: UUID
    counter_id: UUID | None
    # The counter's site, for staff tokens; it keys the event, and is not part of the state.
    site_id: UUID | None = Field(default=None, exclude=True)
    prefix: str
    sha256: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None


# --- services (layanan) -----------------------------------------------------------------


class ServiceBase(BaseModel):
    site_id: UUID
    agency_id: UUID
    code: Code
    prefix: Prefix
    name_id: Name
    name_en: Name
    mean_service_min: MeanServiceMinutes
    daily_quota: DailyQuota
    documents_id: Documents = Field(default_factory=list)
    documents_en: Documents = Field(default_factory=list)
    hours: WeeklyHours | None = Field(default=None, description="null: the site's opening hours apply")
    priority_enabled: bool = True
    active: bool = True


class ServiceCreate(ServiceBase, _Input):
    pass


class ServiceUpdate(_Patch):
    nullable = frozenset({"hours"})

    code: Code | None = None
    prefix: Prefix | None = None
    name_id: Name | None = None
    name_en: Name | None = None
    mean_service_min: MeanServiceMinutes | None = None
    daily_quota: DailyQuota | None = None
    documents_id: Documents | None = None
    documents_en: Documents | None = None
    hours: WeeklyHours | None = None
    priority_enabled: bool | None = None
    active: bool | None = None


class ServicePublic(ServiceBase):
    id: UUID


# --- counters (loket) -------------------------------------------------------------------

ServiceIds = Annotated[list[UUID], Field(min_length=1, max_length=50)]


class CounterBase(BaseModel):
    site_id: UUID
    agency_id: UUID
    name: CounterName
    service_ids: ServiceIds
    active: bool = True


class CounterCreate(CounterBase, _Input):
    pass


class CounterUpdate(_Patch):
    name: CounterName | None = None
    service_ids: ServiceIds | None = None
    active: bool | None = None


class CounterPublic(CounterBase):
    id: UUID


# --- journeys (alur) --------------------------------------------------------------------


class JourneyBase(BaseModel):
    site_id: UUID
    code: Code
    name_id: Name
    name_en: Name
    kind: JourneyKind
    steps: Annotated[list[UUID], Field(min_length=2, max_length=20, description="service ids, in order")]
    active: bool = True


class JourneyCreate(JourneyBase, _Input):
    pass


class JourneyPublic(JourneyBase):
    id: UUID


# --- the public catalog of a site -------------------------------------------------------


class CatalogService(ServicePublic):
    effective_hours: WeeklyHours = Field(description="the service's own hours, or else its site's")
    hours_today: list[tuple[str, str]] = Field(
        description="today's opening ranges, local time at the site (empty: closed today)"
    )
    open_now: bool = Field(description="the site's local time now falls in one of today's ranges")
    takes_tickets_today: bool = Field(
        description="a ticket taken now can still be served today: open today, before today's last closing "
        "time, and the service and site are active"
    )


class CatalogAgency(AgencyPublic):
    services: list[CatalogService]


class Catalog(BaseModel):
    site: SitePublic
    local_time: datetime = Field(description="now, in the site's timezone: what open_now was computed for")
    agencies: list[CatalogAgency] = Field(description="agencies with at least one active service here")
    journeys: list[JourneyPublic]


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description='"admin", or the visible prefix of the agency key that acted')
    action: str = Field(examples=["create", "update", "delete", "issue", "revoke"])
    entity: str = Field(examples=["service"])
    entity_id: UUID
    before: dict[str, Any] | None
    after: dict[str, Any] | None


Entity = SitePublic | AgencyPublic | ServicePublic | CounterPublic | JourneyPublic | CredentialPublic

ItemT = TypeVar("ItemT", bound=BaseModel)


class Listing(BaseModel, Generic[ItemT]):
    """A list answer; an object rather than a bare array, so paging can be added without a break."""

    items: list[ItemT]
