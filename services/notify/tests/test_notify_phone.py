"""Phone numbers: accepted forms, masking, and encryption at rest."""

import pytest
from cryptography.exceptions import InvalidTag
from notify.adapters.phone_vault import PhoneVault
from notify.domain.phone import InvalidPhoneNumber, PhoneNumber, mask


@pytest.mark.parametrize(
    "written",
    [
        "+6281234567890",
        "6281234567890",
        "081234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "(0812) 3456.7890",
        "006281234567890",
    ],
)
def test_the_ways_people_write_an_indonesian_mobile_number_all_mean_the_same(written: str) -> None:
    phone = PhoneNumber.parse(written)
    assert phone.e164 == "+6281234567890"
    assert phone.wa_id == "6281234567890"


def test_a_foreign_number_in_international_form_is_kept() -> None:
    assert PhoneNumber.parse("+31 6 12345678").e164 == "+31612345678"


@pytest.mark.parametrize("written", ["", "12345", "+0812345678", "0812abc4567", "+62812345678901234567"])
def test_what_is_not_a_phone_number_is_refused_with_a_hint(written: str) -> None:
    with pytest.raises(InvalidPhoneNumber, match=r"\+62"):
        PhoneNumber.parse(written)


def test_a_masked_number_keeps_only_the_prefix_and_the_last_three_digits() -> None:
    phone = PhoneNumber.parse("+6281234567890")
    assert phone.masked() == "+62812****890"
    assert str(phone) == "+62812****890"
    assert "34567" not in repr(phone)
    assert mask("+62812") == "****"


def test_the_vault_stores_no_digits_and_opens_only_its_own_row() -> None:
    vault = PhoneVault(b"k" * 32)
    phone = PhoneNumber.parse("+6281234567890")
    blob = vault.encrypt(phone, row="recipient:1")
    assert b"81234567890" not in blob
    assert vault.encrypt(phone, row="recipient:1") != blob  # a fresh nonce each time
    assert vault.decrypt(blob, row="recipient:1") == phone
    with pytest.raises(InvalidTag):
        vault.decrypt(blob, row="recipient:2")
    with pytest.raises(InvalidTag):
        PhoneVault(b"x" * 32).decrypt(blob, row="recipient:1")


def test_the_lookup_hash_is_stable_per_number_and_keyed() -> None:
    vault = PhoneVault(b"k" * 32)
    same = vault.lookup_hash(PhoneNumber.parse("0812 3456 7890"))
    assert same == vault.lookup_hash(PhoneNumber.parse("+6281234567890"))
    assert same != vault.lookup_hash(PhoneNumber.parse("+6281234567891"))
    assert same != PhoneVault(b"x" * 32).lookup_hash(PhoneNumber.parse("+6281234567890"))
