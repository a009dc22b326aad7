"""Codes, ticket prefixes, timezones, what may be linked to what, and API keys."""

import re
from uuid import uuid4

import pytest
from registry.domain.api_keys import hash_api_key, mint_api_key
from registry.domain.rules import (
    ServiceKey,
    ServiceRef,
    check_timezone,
    counter_service_issues,
    journey_step_issues,
    normalize_code,
    normalize_prefix,
    service_key_conflicts,
    suggest_prefix,
)


@pytest.mark.parametrize(("raw", "prefix"), [("A", "A"), (" ab ", "AB"), ("cka", "CKA")])
def test_prefixes_are_one_to_three_letters_kept_upper_case(raw: str, prefix: str) -> None:
    assert normalize_prefix(raw) == prefix


@pytest.mark.parametrize("raw", ["", "A1", "ABCD", "A-", "É"])
def test_other_prefixes_are_refused_with_an_example(raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape('use 1 to 3 letters A–Z, e.g. "A" or "AB"')):
        normalize_prefix(raw)


def test_codes_are_compared_upper_case_and_refused_when_they_cannot_be_typed() -> None:
    assert normalize_code(" mpp-kpg ") == "MPP-KPG"
    with pytest.raises(ValueError, match=re.escape('e.g. "MPP-KPG"')):
        normalize_code("MPP KPG")


def test_timezones_must_be_iana_names() -> None:
    assert check_timezone("Asia/Makassar") == "Asia/Makassar"
    with pytest.raises(ValueError, match='"WITA" is not an IANA timezone: use a name like "Asia/Makassar"'):
        check_timezone("WITA")


def test_a_prefix_used_by_another_service_of_the_site_is_named_with_a_free_suggestion() -> None:
    samsat = ServiceKey(uuid4(), "PKB-TAHUNAN", "A")
    stnk = ServiceKey(uuid4(), "STNK-5TH", "AB")

    issues = service_key_conflicts(ServiceKey(uuid4(), "NEW", "A"), others=[samsat, stnk])

    assert [(i.field, i.message) for i in issues] == [
        (
            "prefix",
            "ticket prefix A is already used at this site by service PKB-TAHUNAN; "
            "choose another prefix, e.g. B",
        ),
    ]


def test_a_service_keeping_its_own_prefix_and_code_conflicts_with_nothing() -> None:
    samsat = ServiceKey(uuid4(), "PKB-TAHUNAN", "A")

    assert service_key_conflicts(samsat, others=[samsat]) == []


def test_a_code_used_by_another_service_of_the_site_is_refused() -> None:
    issues = service_key_conflicts(ServiceKey(uuid4(), "KK", "Z"), others=[ServiceKey(uuid4(), "KK", "CK")])

    assert [i.field for i in issues] == ["code"]


def test_suggested_prefix_grows_from_the_wanted_one_when_single_letters_run_out() -> None:
    every_letter = {chr(c) for c in range(ord("A"), ord("Z") + 1)}

    assert suggest_prefix("C", {"A", "B", "C"}) == "D"
    assert suggest_prefix("C", every_letter) == "CA"
    assert suggest_prefix("C", every_letter | {"CA"}) == "CB"


def test_a_counter_serves_only_its_own_agency_at_its_own_site() -> None:
    own = ServiceRef(uuid4(), "PKB-TAHUNAN", uuid4(), "MPP-KPG", uuid4(), "SAMSAT", True)
    site_id, agency_id = own.site_id, own.agency_id
    other_agency = ServiceRef(uuid4(), "KTP-EL", site_id, "MPP-KPG", uuid4(), "DUKCAPIL", True)
    other_site = ServiceRef(uuid4(), "PKB-CFD", uuid4(), "CFD-ELTARI", agency_id, "SAMSAT", True)
    missing = uuid4()
    known = {s.id: s for s in (own, other_agency, other_site)}

    issues = counter_service_issues(
        site_id=site_id,
        agency_id=agency_id,
        known=known,
        service_ids=[own.id, other_agency.id, other_site.id, missing, own.id],
    )

    assert [(i.field, i.message.split(";")[0]) for i in issues] == [
        ("service_ids.1", "service KTP-EL belongs to agency DUKCAPIL, not to this counter's agency"),
        ("service_ids.2", "service PKB-CFD is offered at site CFD-ELTARI, not at this counter's site"),
        ("service_ids.3", f"no service with id {missing}"),
        ("service_ids.4", f"service {own.id} is listed twice"),
    ]


def test_journey_steps_are_active_services_of_the_journeys_site() -> None:
    nib = ServiceRef(uuid4(), "NIB", uuid4(), "MPP-KPG", uuid4(), "DPMPTSP", True)
    retired = ServiceRef(uuid4(), "OLD", nib.site_id, "MPP-KPG", uuid4(), "KPP", False)
    elsewhere = ServiceRef(uuid4(), "PKB-CFD", uuid4(), "CFD-ELTARI", uuid4(), "SAMSAT", True)
    missing = uuid4()
    known = {s.id: s for s in (nib, retired, elsewhere)}

    issues = journey_step_issues(
        site_id=nib.site_id, steps=[nib.id, retired.id, elsewhere.id, missing], known=known
    )

    assert [i.field for i in issues] == ["steps.1", "steps.2", "steps.3"]
    assert "service OLD is not active" in issues[0].message
    assert "not at this journey's site" in issues[1].message
    assert f"no service with id {missing}" in issues[2].message


def test_an_api_key_shows_a_prefix_and_is_stored_only_as_its_hash() -> None:
    minted = mint_api_key(bytes(range(36)))

    assert minted.key.startswith("ak_live_00010203")
    assert minted.prefix == "ak_live_00010203"
    assert len(minted.key) > 50
    assert minted.key_hash == hash_api_key(minted.key)
    assert minted.key not in minted.key_hash
    assert mint_api_key(bytes(range(1, 37))).key != minted.key
