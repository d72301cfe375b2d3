"""Privacy (GDPR) in translation: one's glossary terms and settings exported; an erased
person's settings and the translations mentioning them dropped."""

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, ValidationFailed
from parvis_contracts.events import Envelope
from services.translation.models import CachedTranslation, GlossaryTerm, PersonLanguage


def deliver(world, event, data, handler):
    body = Envelope.new(event, data).to_message()
    return getattr(world.svc(), handler)(body), body


def cached(world) -> int:
    with world.Session() as s:
        return s.execute(select(func.count()).select_from(CachedTranslation)).scalar()


@pytest.fixture
def settled(world):
    deliver(
        world,
        ev.IDENTITY_USER_CREATED,
        {"user_id": world.admin.user_id, "org_id": "o", "guest": False, "preferred_language": "fr"},
        "on_user_created",
    )
    term = world.svc(world.admin).glossary_add(
        term="Parvis", translations={"fr": "Parvis"}, note="our product"
    )
    return term


def test_export_holds_terms_and_settings(world, settled):
    data = world.svc(world.admin).export_person_data(person_id=world.admin.user_id)
    assert [t["term"] for t in data["glossary_terms_created"]] == ["Parvis"]
    assert data["glossary_terms_created"][0]["translations"] == {"fr": "Parvis"}
    assert data["settings"]["preferred_language"] == "fr"
    mine = world.svc(world.member).export_person_data(person_id=world.member.user_id)
    assert mine["glossary_terms_created"] == [] and mine["settings"]["preferred_language"] is None


def test_only_the_person_or_an_admin_exports(world, settled):
    with pytest.raises(Forbidden):
        world.svc(world.member).export_person_data(person_id=world.admin.user_id)
    with pytest.raises(ValidationFailed):
        world.svc(world.member).export_person_data(person_id="")


def test_erasure_drops_settings_mentions_and_unnames_terms(world, settled):
    mention = f"le rapport @[Ada Canary]({world.admin.user_id})"
    world.svc(world.member).translate(mention, "en", source="fr")
    world.svc(world.member).translate("le projet", "en", source="fr")
    assert cached(world) == 2
    result, body = deliver(
        world,
        ev.IDENTITY_USER_ERASED,
        {"user_id": world.admin.user_id, "org_id": "o", "guest": False},
        "on_user_erased",
    )
    assert result == {"settings": "applied", "glossary_terms_unnamed": 1, "translations_dropped": 1}
    assert cached(world) == 1
    with world.Session() as s:
        assert s.get(PersonLanguage, world.admin.user_id) is None
        term = s.scalars(select(GlossaryTerm)).one()
        assert term.term == "Parvis" and term.created_by is None
        assert all("Ada Canary" not in t for t in s.scalars(select(CachedTranslation.translated)))
    assert world.svc().on_user_erased(body) == "duplicate"
