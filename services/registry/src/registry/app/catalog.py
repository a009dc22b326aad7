"""The public catalog of a site: what a citizen can queue for there, when, and what to bring."""

from uuid import UUID

from registry.app import sites
from registry.app.ports import UnitOfWork
from registry.app.schemas import Catalog, CatalogAgency, CatalogService


async def get(site_id: UUID, *, uow: UnitOfWork) -> Catalog:
    async with uow:
        store = uow.store
        site = await sites.require(store, site_id)
        services = [s for s in await store.find_services(site_id=site_id) if s.active]
        agencies = await store.find_agencies(ids=sorted({s.agency_id for s in services}))
        journeys = [j for j in await store.find_journeys(site_id=site_id) if j.active]
    by_prefix = sorted(services, key=lambda s: s.prefix)
    return Catalog(
        site=site,
        agencies=[
            CatalogAgency(
                **agency.model_dump(),
                services=[
                    CatalogService(
                        **s.model_dump(), effective_hours=s.hours if s.hours is not None else site.hours
                    )
                    for s in by_prefix
                    if s.agency_id == agency.id
                ],
            )
            for agency in agencies
            if agency.active
        ],
        journeys=journeys,
    )
