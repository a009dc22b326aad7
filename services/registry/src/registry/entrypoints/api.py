"""The registry's HTTP API (SPEC.md, "registry"). Routes only translate: the use cases decide."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from registry.app import agencies, catalog, counters, journeys, services, sites
from registry.app.schemas import (
    AgencyCreate,
    AgencyPublic,
    ApiKeyCreate,
    ApiKeyIssued,
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
)
from registry.entrypoints.deps import Admin, ClockDep, Uow

SiteFilter = Annotated[UUID | None, Query(description="only those of this site")]
AgencyFilter = Annotated[UUID | None, Query(description="only those of this agency")]
CodeFilter = Annotated[str | None, Query(max_length=40, description="exact code, any case")]

site_router = APIRouter(prefix="/v1/sites", tags=["sites"])
agency_router = APIRouter(prefix="/v1/agencies", tags=["agencies"])
service_router = APIRouter(prefix="/v1/services", tags=["services"])
counter_router = APIRouter(prefix="/v1/counters", tags=["counters"])
journey_router = APIRouter(prefix="/v1/journeys", tags=["journeys"])


@site_router.post("", status_code=201)
async def create_site(body: SiteCreate, uow: Uow, clock: ClockDep, admin: Admin) -> SitePublic:
    return await sites.create(body, uow=uow, clock=clock, actor=admin)


@site_router.get("")
async def list_sites(uow: Uow, _: Admin, code: CodeFilter = None) -> Listing[SitePublic]:
    return Listing(items=await sites.find(uow=uow, code=code))


@site_router.get("/{site_id}")
async def get_site(site_id: UUID, uow: Uow, _: Admin) -> SitePublic:
    return await sites.get(site_id, uow=uow)


@site_router.patch("/{site_id}")
async def update_site(site_id: UUID, body: SiteUpdate, uow: Uow, clock: ClockDep, admin: Admin) -> SitePublic:
    return await sites.update(site_id, body, uow=uow, clock=clock, actor=admin)


@site_router.get("/{site_id}/catalog", summary="Public: what a citizen can queue for at this site")
async def get_catalog(site_id: UUID, uow: Uow) -> Catalog:
    return await catalog.get(site_id, uow=uow)


@agency_router.post("", status_code=201)
async def create_agency(body: AgencyCreate, uow: Uow, clock: ClockDep, admin: Admin) -> AgencyPublic:
    return await agencies.create(body, uow=uow, clock=clock, actor=admin)


@agency_router.get("")
async def list_agencies(uow: Uow, _: Admin, code: CodeFilter = None) -> Listing[AgencyPublic]:
    return Listing(items=await agencies.find(uow=uow, code=code))


@agency_router.get("/{agency_id}")
async def get_agency(agency_id: UUID, uow: Uow, _: Admin) -> AgencyPublic:
    return await agencies.get(agency_id, uow=uow)


@agency_router.post(
    "/{agency_id}/api-keys",
    status_code=201,
    summary="Issue an API key for the agency; the key is shown only in this answer",
)
async def issue_api_key(
    agency_id: UUID, uow: Uow, clock: ClockDep, admin: Admin, body: ApiKeyCreate | None = None
) -> ApiKeyIssued:
    return await agencies.issue_api_key(agency_id, body or ApiKeyCreate(), uow=uow, clock=clock, actor=admin)


@service_router.post("", status_code=201)
async def create_service(body: ServiceCreate, uow: Uow, clock: ClockDep, admin: Admin) -> ServicePublic:
    return await services.create(body, uow=uow, clock=clock, actor=admin)


@service_router.get("")
async def list_services(
    uow: Uow, _: Admin, site_id: SiteFilter = None, agency_id: AgencyFilter = None, code: CodeFilter = None
) -> Listing[ServicePublic]:
    return Listing(items=await services.find(uow=uow, site_id=site_id, agency_id=agency_id, code=code))


@service_router.get("/{service_id}")
async def get_service(service_id: UUID, uow: Uow, _: Admin) -> ServicePublic:
    return await services.get(service_id, uow=uow)


@service_router.patch("/{service_id}")
async def update_service(
    service_id: UUID, body: ServiceUpdate, uow: Uow, clock: ClockDep, admin: Admin
) -> ServicePublic:
    return await services.update(service_id, body, uow=uow, clock=clock, actor=admin)


@service_router.delete("/{service_id}", status_code=204)
async def delete_service(service_id: UUID, uow: Uow, clock: ClockDep, admin: Admin) -> Response:
    await services.delete(service_id, uow=uow, clock=clock, actor=admin)
    return Response(status_code=204)


@counter_router.post("", status_code=201)
async def create_counter(body: CounterCreate, uow: Uow, clock: ClockDep, admin: Admin) -> CounterPublic:
    return await counters.create(body, uow=uow, clock=clock, actor=admin)


@counter_router.get("")
async def list_counters(
    uow: Uow,
    _: Admin,
    site_id: SiteFilter = None,
    agency_id: AgencyFilter = None,
    name: Annotated[str | None, Query(max_length=40, description='exact name, e.g. "Loket 3"')] = None,
) -> Listing[CounterPublic]:
    return Listing(items=await counters.find(uow=uow, site_id=site_id, agency_id=agency_id, name=name))


@counter_router.get("/{counter_id}")
async def get_counter(counter_id: UUID, uow: Uow, _: Admin) -> CounterPublic:
    return await counters.get(counter_id, uow=uow)


@counter_router.patch("/{counter_id}")
async def update_counter(
    counter_id: UUID, body: CounterUpdate, uow: Uow, clock: ClockDep, admin: Admin
) -> CounterPublic:
    return await counters.update(counter_id, body, uow=uow, clock=clock, actor=admin)


@journey_router.post("", status_code=201)
async def create_journey(body: JourneyCreate, uow: Uow, clock: ClockDep, admin: Admin) -> JourneyPublic:
    return await journeys.create(body, uow=uow, clock=clock, actor=admin)


@journey_router.get("")
async def list_journeys(
    uow: Uow, _: Admin, site_id: SiteFilter = None, code: CodeFilter = None
) -> Listing[JourneyPublic]:
    return Listing(items=await journeys.find(uow=uow, site_id=site_id, code=code))


@journey_router.get("/{journey_id}")
async def get_journey(journey_id: UUID, uow: Uow, _: Admin) -> JourneyPublic:
    return await journeys.get(journey_id, uow=uow)


ROUTERS = (site_router, agency_router, service_router, counter_router, journey_router)
