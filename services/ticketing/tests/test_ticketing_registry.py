"""The registry read model: registry.changed applied once, in ticketing's own tables."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from antre_contracts import new_event
from antre_contracts.events import RegistryChanged, RegistryEntity
from pydantic import ValidationError

Harness = Any  # the conftest fixture's type; conftest modules are not importable here


async def service_name(h: Harness) -> str:
    name: str = await h.pool.fetchval("SELECT name_en FROM services WHERE id = $1", h.kupang.vehicle_tax_id)
    return name


async def test_an_event_delivered_twice_changes_the_read_model_once(harness: Harness) -> None:
    events = harness.seeded
    renamed = events[1].model_copy(
        update={
            "id": uuid4(),
            "data": {
                **events[1].data,
                "state": {**events[1].data["state"], "name_en": "Vehicle tax (renamed)"},
            },
        }
    )
    await harness.ticketing.on_registry_event(renamed)
    assert await service_name(harness) == "Vehicle tax (renamed)"
    # Kafka redelivers the older event (a consumer restarted before committing its offset):
    # applied again, it would undo the rename.
    await harness.ticketing.on_registry_event(events[1])
    await harness.ticketing.on_registry_event(renamed)
    assert await service_name(harness) == "Vehicle tax (renamed)"
    inbox = await harness.pool.fetchval("SELECT count(*) FROM inbox WHERE consumer = 'ticketing.registry'")
    assert inbox == len(events) + 1


async def test_deleted_entities_stop_taking_tickets_and_counter_actions(harness: Harness) -> None:
    kupang = harness.kupang
    service_state = kupang.registry_events()[1].data["state"]
    counter_state = kupang.registry_events()[3].data["state"]
    deletions: list[tuple[RegistryEntity, UUID, dict[str, Any]]] = [
        ("service", kupang.vehicle_tax_id, service_state),
        ("counter", kupang.counter_ids[0], counter_state),
    ]
    for entity, entity_id, state in deletions:
        await harness.ticketing.on_registry_event(
            new_event(
                type="registry.changed",
                source="antre/registry",
                site_id=kupang.site_id,
                subject=entity_id,
                time=harness.clock.now(),
                data=RegistryChanged(entity=entity, id=entity_id, op="delete", state=state),
            )
        )
    assert (await harness.issue()).status_code == 422
    assert (await harness.counter(0, "open")).status_code == 404
    assert (await harness.issue(service_id=kupang.stnk_id)).status_code == 201


async def test_agency_events_are_accepted_and_bad_states_are_refused_unapplied(harness: Harness) -> None:
    agency_id = uuid4()
    await harness.ticketing.on_registry_event(
        new_event(
            type="registry.changed",
            source="antre/registry",
            site_id="platform",
            subject=agency_id,
            time=harness.clock.now(),
            data=RegistryChanged(
                entity="agency",
                id=agency_id,
                op="upsert",
                state={"id": str(agency_id), "code": "SAMSAT", "name": "SAMSAT", "active": True},
            ),
        )
    )
    site_state = harness.kupang.registry_events()[0].data["state"]
    broken = new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=harness.kupang.site_id,
        subject=harness.kupang.site_id,
        time=harness.clock.now(),
        data=RegistryChanged(
            entity="site",
            id=harness.kupang.site_id,
            op="upsert",
            state={**site_state, "timezone": "Mars/Olympus"},
        ),
    )
    with pytest.raises(ValidationError, match="unknown IANA timezone"):
        await harness.ticketing.on_registry_event(broken)
    assert await harness.pool.fetchval("SELECT timezone FROM sites") == "Asia/Makassar"
    assert not await harness.pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", broken.id)
