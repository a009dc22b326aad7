"""The registry's HTTP API (SPEC.md, "registry"). Routes only translate: the use cases decide,
including who may do what (registry.domain.access)."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel

from registry.app import agencies, audit, catalog, counters, journeys, services, sites, staff_tokens
from registry.app.changes import etag
from registry.app.schemas import (
    AgencyCreate,
    AgencyPublic,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPublic,
    AuditEntry,
    Catalog,
    CounterCreate,
    CounterPublic,
    CounterUpdate,
    JourneyCreate,
    JourneyPublic,
    Listing,
    ServiceCreate,
    ServicePublic,
    ServiceUpdate,
    SiteCreate,
    SitePublic,
    SiteUpdate,
    StaffTokenCreate,
    StaffTokenIssued,
    StaffTokenPublic,
)
from registry.entrypoints.deps import Caller, ClockDep, IfMatch, Uow


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with the fields to fix when the input was refused."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": ProblemDetails, "content": {"application/problem+json": {}}} for status in statuses
    }


# Every authenticated route may answer these; each route adds its own.
_AUTH = _problems(401, 403, 422)
_BY_ID = _problems(401, 403, 404, 422)
_WRITE_BY_ID = _problems(401, 403, 404, 409, 412, 422)

SiteFilter = Annotated[UUID | None, Query(description="only those of this site")]
AgencyFilter = Annotated[UUID | None, Query(description="only those of this agency")]
CodeFilter = Annotated[str | None, Query(max_length=40, description="exact code, any case")]
AuditEntityFilter = Literal["site", "agency", "service", "counter", "journey", "credential"]

site_router = APIRouter(prefix="/v1/sites", tags=["sites"])
agency_router = APIRouter(prefix="/v1/agencies", tags=["agencies"])
service_router = APIRouter(prefix="/v1/services", tags=["services"])
counter_router = APIRouter(prefix="/v1/counters", tags=["counters"])
journey_router = APIRouter(prefix="/v1/journeys", tags=["journeys"])
audit_router = APIRouter(prefix="/v1/audit", tags=["audit"])


def _tagged(response: Response, entity: BaseModel) -> None:
    """Send the entity's ETag, for a later PATCH with If-Match."""
    response.headers["ETag"] = etag(entity)


# --- sites ------------------------------------------------------------------------------


@site_router.post("", status_code=201, responses=_problems(401, 403, 409, 422))
async def create_site(body: SiteCreate, uow: Uow, clock: ClockDep, caller: Caller) -> SitePublic:
    return await sites.create(body, uow=uow, clock=clock, principal=caller)


@site_router.get("", responses=_AUTH)
async def list_sites(uow: Uow, _: Caller, code: CodeFilter = None) -> Listing[SitePublic]:
    return Listing(items=await sites.find(uow=uow, code=code))


@site_router.get("/{site_id}", responses=_BY_ID)
async def get_site(site_id: UUID, uow: Uow, _: Caller, response: Response) -> SitePublic:
    site = await sites.get(site_id, uow=uow)
    _tagged(response, site)
    return site


@site_router.patch("/{site_id}", responses=_WRITE_BY_ID)
async def update_site(
    site_id: UUID,
    body: SiteUpdate,
    uow: Uow,
    clock: ClockDep,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> SitePublic:
    site = await sites.update(site_id, body, uow=uow, clock=clock, principal=caller, if_match=if_match)
    _tagged(response, site)
    return site


@site_router.get(
    "/{site_id}/catalog",
    summary="Public: what a citizen can queue for at this site, and whether it is open now",
    responses=_problems(404, 422),
)
async def get_catalog(site_id: UUID, uow: Uow, clock: ClockDep) -> Catalog:
    return await catalog.get(site_id, uow=uow, clock=clock)


# --- agencies and their keys ------------------------------------------------------------


@agency_router.post("", status_code=201, responses=_problems(401, 403, 409, 422))
async def create_agency(body: AgencyCreate, uow: Uow, clock: ClockDep, caller: Caller) -> AgencyPublic:
    return await agencies.create(body, uow=uow, clock=clock, principal=caller)


@agency_router.get("", responses=_AUTH)
async def list_agencies(uow: Uow, caller: Caller, code: CodeFilter = None) -> Listing[AgencyPublic]:
    return Listing(items=await agencies.find(uow=uow, principal=caller, code=code))


@agency_router.get("/{agency_id}", responses=_BY_ID)
async def get_agency(agency_id: UUID, uow: Uow, caller: Caller, response: Response) -> AgencyPublic:
    agency = await agencies.get(agency_id, uow=uow, principal=caller)
    _tagged(response, agency)
    return agency


@agency_router.post(
    "/{agency_id}/api-keys",
    status_code=201,
    summary="Issue an API key for the agency; the key is shown only in this answer",
    responses=_BY_ID,
)
async def issue_api_key(
    agency_id: UUID, uow: Uow, clock: ClockDep, caller: Caller, body: ApiKeyCreate | None = None
) -> ApiKeyIssued:
    return await agencies.issue_api_key(
        agency_id, body or ApiKeyCreate(), uow=uow, clock=clock, principal=caller
    )


@agency_router.get(
    "/{agency_id}/api-keys", summary="The agency's keys (never the keys themselves)", responses=_BY_ID
)
async def list_api_keys(agency_id: UUID, uow: Uow, caller: Caller) -> Listing[ApiKeyPublic]:
    return Listing(items=await agencies.list_api_keys(agency_id, uow=uow, principal=caller))


@agency_router.delete(
    "/{agency_id}/api-keys/{key_id}", status_code=204, summary="Revoke an API key", responses=_BY_ID
)
async def revoke_api_key(
    agency_id: UUID, key_id: UUID, uow: Uow, clock: ClockDep, caller: Caller
) -> Response:
    await agencies.revoke_api_key(agency_id, key_id, uow=uow, clock=clock, principal=caller)
    return Response(status_code=204)


# --- services ---------------------------------------------------------------------------


@service_router.post("", status_code=201, responses=_problems(401, 403, 409, 422))
async def create_service(body: ServiceCreate, uow: Uow, clock: ClockDep, caller: Caller) -> ServicePublic:
    return await services.create(body, uow=uow, clock=clock, principal=caller)


@service_router.get("", responses=_AUTH)
async def list_services(
    uow: Uow,
    caller: Caller,
    site_id: SiteFilter = None,
    agency_id: AgencyFilter = None,
    code: CodeFilter = None,
) -> Listing[ServicePublic]:
    return Listing(
        items=await services.find(uow=uow, principal=caller, site_id=site_id, agency_id=agency_id, code=code)
    )


@service_router.get("/{service_id}", responses=_BY_ID)
async def get_service(service_id: UUID, uow: Uow, caller: Caller, response: Response) -> ServicePublic:
    service = await services.get(service_id, uow=uow, principal=caller)
    _tagged(response, service)
    return service


@service_router.patch("/{service_id}", responses=_WRITE_BY_ID)
async def update_service(
    service_id: UUID,
    body: ServiceUpdate,
    uow: Uow,
    clock: ClockDep,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> ServicePublic:
    service = await services.update(
        service_id, body, uow=uow, clock=clock, principal=caller, if_match=if_match
    )
    _tagged(response, service)
    return service


@service_router.delete("/{service_id}", status_code=204, responses=_problems(401, 403, 404, 409, 422))
async def delete_service(service_id: UUID, uow: Uow, clock: ClockDep, caller: Caller) -> Response:
    await services.delete(service_id, uow=uow, clock=clock, principal=caller)
    return Response(status_code=204)


# --- counters and their staff tokens ----------------------------------------------------


@counter_router.post("", status_code=201, responses=_problems(401, 403, 409, 422))
async def create_counter(body: CounterCreate, uow: Uow, clock: ClockDep, caller: Caller) -> CounterPublic:
    return await counters.create(body, uow=uow, clock=clock, principal=caller)


@counter_router.get("", responses=_AUTH)
async def list_counters(
    uow: Uow,
    caller: Caller,
    site_id: SiteFilter = None,
    agency_id: AgencyFilter = None,
    name: Annotated[str | None, Query(max_length=40, description='exact name, e.g. "Loket 3"')] = None,
) -> Listing[CounterPublic]:
    return Listing(
        items=await counters.find(uow=uow, principal=caller, site_id=site_id, agency_id=agency_id, name=name)
    )


@counter_router.get("/{counter_id}", responses=_BY_ID)
async def get_counter(counter_id: UUID, uow: Uow, caller: Caller, response: Response) -> CounterPublic:
    counter = await counters.get(counter_id, uow=uow, principal=caller)
    _tagged(response, counter)
    return counter


@counter_router.patch("/{counter_id}", responses=_WRITE_BY_ID)
async def update_counter(
    counter_id: UUID,
    body: CounterUpdate,
    uow: Uow,
    clock: ClockDep,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> CounterPublic:
    counter = await counters.update(
        counter_id, body, uow=uow, clock=clock, principal=caller, if_match=if_match
    )
    _tagged(response, counter)
    return counter


@counter_router.post(
    "/{counter_id}/staff-tokens",
    status_code=201,
    summary="Issue a staff token for the counter's officer; the token is shown only in this answer",
    responses=_BY_ID,
)
async def issue_staff_token(
    counter_id: UUID, uow: Uow, clock: ClockDep, caller: Caller, body: StaffTokenCreate | None = None
) -> StaffTokenIssued:
    return await staff_tokens.issue(
        counter_id, body or StaffTokenCreate(), uow=uow, clock=clock, principal=caller
    )


@counter_router.get(
    "/{counter_id}/staff-tokens", summary="The counter's staff tokens (never the tokens)", responses=_BY_ID
)
async def list_staff_tokens(counter_id: UUID, uow: Uow, caller: Caller) -> Listing[StaffTokenPublic]:
    return Listing(items=await staff_tokens.find(counter_id, uow=uow, principal=caller))


@counter_router.delete(
    "/{counter_id}/staff-tokens/{token_id}", status_code=204, summary="Revoke a staff token", responses=_BY_ID
)
async def revoke_staff_token(
    counter_id: UUID, token_id: UUID, uow: Uow, clock: ClockDep, caller: Caller
) -> Response:
    await staff_tokens.revoke(counter_id, token_id, uow=uow, clock=clock, principal=caller)
    return Response(status_code=204)


# --- journeys ---------------------------------------------------------------------------


@journey_router.post("", status_code=201, responses=_problems(401, 403, 409, 422))
async def create_journey(body: JourneyCreate, uow: Uow, clock: ClockDep, caller: Caller) -> JourneyPublic:
    return await journeys.create(body, uow=uow, clock=clock, principal=caller)


@journey_router.get("", responses=_AUTH)
async def list_journeys(
    uow: Uow, _: Caller, site_id: SiteFilter = None, code: CodeFilter = None
) -> Listing[JourneyPublic]:
    return Listing(items=await journeys.find(uow=uow, site_id=site_id, code=code))


@journey_router.get("/{journey_id}", responses=_BY_ID)
async def get_journey(journey_id: UUID, uow: Uow, _: Caller, response: Response) -> JourneyPublic:
    journey = await journeys.get(journey_id, uow=uow)
    _tagged(response, journey)
    return journey


# --- audit ------------------------------------------------------------------------------


@audit_router.get("", summary="Admin: who changed what and when, oldest first", responses=_AUTH)
async def read_audit(
    uow: Uow,
    caller: Caller,
    entity: Annotated[AuditEntityFilter | None, Query(description="only changes of this kind")] = None,
    id: Annotated[UUID | None, Query(description="only changes of this entity")] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="only changes at or after this time (with offset)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Listing[AuditEntry]:
    return Listing(
        items=await audit.find(
            uow=uow, principal=caller, entity=entity, entity_id=id, since=since, limit=limit
        )
    )


ROUTERS = (site_router, agency_router, service_router, counter_router, journey_router, audit_router)
