"""The public catalog of a site: what a citizen can queue for there, when, and what to bring."""

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from antre_platform.clock import Clock

from registry.app import sites
from registry.app.ports import UnitOfWork
from registry.app.schemas import Catalog, CatalogAgency, CatalogService, ServicePublic, SitePublic
from registry.domain.hours import day_status


async def get(site_id: UUID, *, uow: UnitOfWork, clock: Clock) -> Catalog:
    async with uow:
        store = uow.store
        site = await sites.require(store, site_id)
        services = [s for s in await store.find_services(site_id=site_id) if s.active]
        agencies = await store.find_agencies(ids=sorted({s.agency_id for s in services}))
        journeys = [j for j in await store.find_journeys(site_id=site_id) if j.active]
    local_now = clock.now().astimezone(ZoneInfo(site.timezone))
    by_prefix = sorted(services, key=lambda s: s.prefix)
    return Catalog(
        site=site,
        local_time=local_now,
        agencies=[
            CatalogAgency(
                **agency.model_dump(),
                services=[_entry(site, s, local_now) for s in by_prefix if s.agency_id == agency.id],
            )
            for agency in agencies
            if agency.active
        ],
        journeys=journeys,
    )


def _entry(site: SitePublic, service: ServicePublic, local_now: datetime) -> CatalogService:
    hours = service.hours if service.hours is not None else site.hours
    status = day_status(hours, site.closed_dates, local_now)
    return CatalogService(
        **service.model_dump(),
        effective_hours=hours,
        hours_today=status.hours_today,
        open_now=status.open_now and site.active,
        takes_tickets_today=status.takes_tickets_today and site.active,
    )
