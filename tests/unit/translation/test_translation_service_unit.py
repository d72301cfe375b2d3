"""The service class with a real database and the in-memory engine (no broker)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_ANONYMOUS, Caller
from parvis_contracts.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from parvis_contracts.events import Envelope
from services.translation.models import CachedContent, CachedTranslation

TEXT = "Bonjour @[Jean Dupont](u-42), voici le rapport sur https://example.com/le/rapport"


def cached_rows(world) -> int:
    with world.Session() as s:
        return s.execute(select(func.count()).select_from(CachedTranslation)).scalar()


def test_translate_follows_the_pivot_chain_and_keeps_spans(world):
    out = world.svc(world.member).translate(TEXT, "en", source="fr")
    assert out["text"] == (
        "Good morning @[Jean Dupont](u-42), here is the report on https://example.com/le/rapport"
    )
    assert out["via"] == ["fr", "ca", "en"] and out["engine"] == "apertium"
    assert out["cached"] is False


def test_guests_may_translate_anonymous_callers_may_not(world):
    assert world.svc(world.guest).translate("le rapport", "en", source="fr")["text"] == "the report"
    with pytest.raises(Unauthenticated):
        world.svc(Caller(kind=KIND_ANONYMOUS)).translate("le rapport", "en", source="fr")


def test_second_call_is_a_cache_hit(world):
    first = world.svc(world.member).translate(TEXT, "en", source="fr")
    calls = len(world.backend.calls)
    second = world.svc(world.member).translate(TEXT, "en", source="fr")
    assert second["cached"] is True and second["text"] == first["text"]
    assert len(world.backend.calls) == calls
    assert cached_rows(world) == 1


def test_source_is_detected_when_absent(world):
    out = world.svc(world.member).translate("Bonjour, voici le rapport sur la réunion du projet", "en")
    assert out["source"] == "fr" and out["detected"] is True


def test_engine_down_answers_unavailable_and_caches_nothing(world):
    world.backend.down = True
    with pytest.raises(Unavailable):
        world.svc(world.member).translate(TEXT, "en", source="fr")
    assert cached_rows(world) == 0
    world.backend.down = False
    assert world.svc(world.member).translate(TEXT, "en", source="fr")["cached"] is False


def test_engine_failing_after_listing_its_pairs_caches_nothing(world):
    world.svc(world.member).pairs()  # the router knows the pairs now
    world.backend.down = True
    with pytest.raises(Unavailable):
        world.svc(world.member).translate("le rapport", "en", source="fr")
    assert cached_rows(world) == 0


def test_unsupported_pair_is_a_clear_validation_error(world):
    with pytest.raises(ValidationFailed) as info:
        world.svc(world.member).translate("le rapport", "de", source="fr")
    assert info.value.details["pair"] == "fr-de"
    assert "fr to de" in info.value.message


def test_bad_language_code_and_oversized_text(world):
    with pytest.raises(ValidationFailed):
        world.svc(world.member).translate("le rapport", "french")
    limit = world.engine.settings.max_chars
    with pytest.raises(PayloadTooLarge):
        world.svc(world.member).translate("a" * (limit + 1), "en", source="fr")
    with pytest.raises(PayloadTooLarge):
        world.svc(world.member).detect("a" * (limit + 1))


def test_same_language_and_empty_text_come_back_unchanged(world):
    assert world.svc(world.member).translate("le rapport", "fr", source="fr")["text"] == "le rapport"
    assert world.svc(world.member).translate("   ", "en", source="fr")["text"] == "   "
    assert world.backend.calls == []


def test_pairs_come_from_what_the_backend_lists(world):
    result = world.svc(world.member).pairs()
    routes = {(p["source"], p["target"]): p for p in result["pairs"]}
    assert routes[("fr", "en")]["via"] == ["fr", "ca", "en"]
    assert routes[("fr", "ca")]["via"] == ["fr", "ca"]
    assert ("fr", "de") not in routes
    assert result["engines"] == [{"name": "apertium", "status": "ok"}]


def test_detect(world):
    out = world.svc(world.member).detect("The meeting is moved to Thursday afternoon.")
    assert out["language"] == "en"
    assert world.svc(world.member).detect("https://example.com")["language"] is None


# --- glossary ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "guest"])
def test_only_admins_and_global_managers_manage_the_glossary(world, who):
    caller = getattr(world, who)
    with pytest.raises(Forbidden):
        world.svc(caller).glossary_add("rapport")
    with pytest.raises(Forbidden):
        world.svc(caller).glossary_list()
    term = world.svc(world.admin).glossary_add("rapport")
    with pytest.raises(Forbidden):
        world.svc(caller).glossary_remove(term["id"])
    with pytest.raises(Forbidden):
        world.svc(caller).glossary_update(term["id"], note="x")


def test_glossary_terms_are_never_translated_and_forced_per_target(world):
    world.svc(world.member).translate("le rapport sur le projet", "en", source="fr")
    world.svc(world.gcm).glossary_add("rapport", note="our product")
    world.svc(world.admin).glossary_add("projet", translations={"en": "Project X"})
    out = world.svc(world.member).translate("le rapport sur le projet", "en", source="fr")
    assert out["text"] == "the rapport on the Project X"
    assert out["cached"] is False  # the glossary changed: the old entry is gone
    listing = world.svc(world.gcm).glossary_list()
    assert [t["term"] for t in listing["items"]] == ["projet", "rapport"]
    assert listing["items"][0]["translations"] == {"en": "Project X"}


def test_glossary_update_remove_conflict_and_unknown_id(world):
    term = world.svc(world.admin).glossary_add("Rapport")
    with pytest.raises(Conflict):
        world.svc(world.admin).glossary_add("rapport")
    updated = world.svc(world.admin).glossary_update(term["id"], translations={"en": "Brief"})
    assert updated["translations"] == {"en": "Brief"}
    assert world.svc(world.member).translate("le rapport", "en", source="fr")["text"] == "the Brief"
    world.svc(world.admin).glossary_remove(term["id"])
    assert world.svc(world.member).translate("le rapport", "en", source="fr")["text"] == "the report"
    with pytest.raises(NotFound):
        world.svc(world.admin).glossary_remove(term["id"])
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).glossary_add("x", translations={"klingon": "y"})


def test_glossary_listing_pages(world):
    for word in ["alpha", "beta", "gamma"]:
        world.svc(world.admin).glossary_add(word)
    page = world.svc(world.admin).glossary_list(limit=2)
    assert [t["term"] for t in page["items"]] == ["alpha", "beta"]
    rest = world.svc(world.admin).glossary_list(limit=2, cursor=page["next_cursor"])
    assert [t["term"] for t in rest["items"]] == ["gamma"] and rest["next_cursor"] is None
    with pytest.raises(ValidationFailed):
        world.svc(world.admin).glossary_list(cursor="garbage!")


# --- invalidation ---------------------------------------------------------------


def deliver(world, event, data, handler):
    body = Envelope.new(event, data).to_message()
    getattr(world.svc(), handler)(body)
    return body


POST = {"post_id": "post-1", "community_id": "c-1", "author_id": "p-1"}


def test_editing_a_post_drops_its_translations_only(world):
    svc = world.svc(world.member)
    svc.translate("le rapport", "en", source="fr", content={"kind": "post", "id": "post-1", "revision": 1})
    world.svc(world.member).translate(
        "le projet", "en", source="fr", content={"kind": "post", "id": "post-2"}
    )
    assert cached_rows(world) == 2
    body = deliver(world, ev.FEED_POST_UPDATED, POST, "on_post_updated")
    assert cached_rows(world) == 1
    again = world.svc(world.member).translate(
        "le rapport", "en", source="fr", content={"kind": "post", "id": "post-1"}
    )
    assert again["cached"] is False
    # the same event delivered twice has one effect (idempotent handler)
    assert world.svc().on_post_updated(body) == "duplicate"
    assert cached_rows(world) == 2


def test_deleting_a_comment_drops_its_translations(world):
    world.svc(world.member).translate(
        "le rapport", "en", source="fr", content={"kind": "comment", "id": "cm-1"}
    )
    deliver(world, ev.FEED_COMMENT_DELETED, dict(POST, comment_id="cm-1"), "on_comment_deleted")
    assert cached_rows(world) == 0
    with world.Session() as s:
        assert s.execute(select(func.count()).select_from(CachedContent)).scalar() == 0


def test_a_newer_revision_drops_the_older_ones(world):
    world.svc(world.member).translate(
        "le rapport", "en", source="fr", content={"kind": "post", "id": "post-1", "revision": 1}
    )
    world.svc(world.member).translate(
        "le projet", "en", source="fr", content={"kind": "post", "id": "post-1", "revision": 2}
    )
    with world.Session() as s:
        texts = s.execute(select(CachedTranslation.translated)).scalars().all()
    assert texts == ["the project"]


def test_translate_batch_answers_in_order_and_caches_each_text(world):
    items = [
        {"text": "le rapport", "source": "fr"},
        {"text": "le projet", "source": "fr", "content": {"kind": "post", "id": "p-9"}},
        {"text": "le rapport", "source": "fr"},
    ]
    out = world.svc(world.member).translate_batch(items, "en")
    assert [o["text"] for o in out] == ["the report", "the project", "the report"]
    assert [o["cached"] for o in out] == [False, False, True]
    with pytest.raises(ValidationFailed):
        world.svc(world.member).translate_batch([], "en")
    limit = world.engine.settings.max_chars
    with pytest.raises(PayloadTooLarge):
        world.svc(world.member).translate_batch([{"text": "a" * limit}] * 6, "en")
