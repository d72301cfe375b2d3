"""Profile photo references: only one's own, only valid references and image types."""

import hashlib

import pytest

from parvis_contracts.errors import Forbidden, NotFound, ValidationFailed
from services.identity.models import Person

SHA = hashlib.sha256(b"a photo").hexdigest()


def test_a_person_sets_and_clears_their_own_photo(world):
    olga = world.person("Olga Owner")
    assert world.svc(olga).get_me()["photo"] is None
    me = world.svc(olga).set_photo(sha256=SHA, content_type="image/png")
    assert me["photo"] == SHA
    assert me["photo_content_type"] == "image/png"
    assert me["initials"] == "OO"

    other = world.person("Emil Employee")
    seen = world.svc(other).get_person(person_id=olga["id"])
    assert seen["photo"] == SHA and seen["photo_content_type"] == "image/png"
    card = world.svc(other).people_cards(person_ids=[olga["id"]])[olga["id"]]
    assert card["photo"] == SHA
    listed = world.svc(other).search_people(query="Olga")["items"]
    assert [c["photo"] for c in listed] == [SHA]

    cleared = world.svc(olga).clear_photo()
    assert cleared["photo"] is None and cleared["photo_content_type"] is None
    assert world.svc(other).get_person(person_id=olga["id"])["photo"] is None
    # clearing twice is harmless
    assert world.svc(olga).clear_photo()["photo"] is None


def test_a_photo_is_stored_only_as_a_reference(world):
    olga = world.person("Olga Owner")
    world.svc(olga).set_photo(sha256=SHA, content_type="image/webp")
    row = world.session().get(Person, olga["id"])
    assert (row.photo_sha256, row.photo_content_type) == (SHA, "image/webp")


@pytest.mark.parametrize(
    "sha256",
    [
        "../../etc/passwd",
        "",
        SHA[:-1],
        SHA + "0",
        SHA.upper(),
        "z" * 64,
        None,
        12,
    ],
)
def test_a_bad_reference_is_refused(world, sha256):
    olga = world.person("Olga Owner")
    with pytest.raises(ValidationFailed) as info:
        world.svc(olga).set_photo(sha256=sha256, content_type="image/png")
    assert "sha256" in info.value.details
    assert world.svc(olga).get_me()["photo"] is None


@pytest.mark.parametrize(
    "content_type",
    [
        "image/svg+xml",
        "text/html",
        "image/gif",
        "application/octet-stream",
        "",
        None,
        "IMAGE/PNG",
    ],
)
def test_only_png_jpeg_webp_are_accepted(world, content_type):
    olga = world.person("Olga Owner")
    with pytest.raises(ValidationFailed) as info:
        world.svc(olga).set_photo(sha256=SHA, content_type=content_type)
    assert "content_type" in info.value.details
    assert world.svc(olga).get_me()["photo"] is None


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/webp"])
def test_each_image_type_is_accepted(world, content_type):
    olga = world.person("Olga Owner")
    assert (
        world.svc(olga).set_photo(sha256=SHA, content_type=content_type)["photo_content_type"] == content_type
    )


def test_the_system_caller_has_no_photo_of_its_own(world):
    with pytest.raises(Forbidden):
        world.svc().set_photo(sha256=SHA, content_type="image/png")
    with pytest.raises(Forbidden):
        world.svc().clear_photo()


def test_a_guest_sees_the_photo_of_a_co_member_only(world):
    olga = world.person("Olga Owner")
    world.svc(olga).set_photo(sha256=SHA, content_type="image/jpeg")
    guest = world.person("Gus Guest", org_id=world.partner["id"])
    with pytest.raises(NotFound):
        world.svc(guest).get_person(person_id=olga["id"])
    assert world.svc(guest).people_cards(person_ids=[olga["id"]]) == {}
    world.join("c-1", guest)
    world.join("c-1", olga)
    assert world.svc(guest).get_person(person_id=olga["id"])["photo"] == SHA


def test_a_guest_can_set_their_own_photo(world):
    guest = world.person("Gus Guest", org_id=world.partner["id"])
    assert world.svc(guest).set_photo(sha256=SHA, content_type="image/png")["photo"] == SHA
