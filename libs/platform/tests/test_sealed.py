import pytest
from antre_platform.sealed import generate_keypair, public_key_of, seal, unseal
from cryptography.exceptions import InvalidTag


def test_only_the_holder_of_the_private_key_can_open_a_sealed_box() -> None:
    private, public = generate_keypair()
    other_private, _ = generate_keypair()
    box = seal(public, b"+6281234567890")
    assert b"6281234567890" not in box.encode()
    assert unseal(private, box) == b"+6281234567890"
    assert public_key_of(private) == public
    with pytest.raises(InvalidTag):
        unseal(other_private, box)


def test_two_seals_of_the_same_number_differ() -> None:
    _, public = generate_keypair()
    assert seal(public, b"+628111") != seal(public, b"+628111")
