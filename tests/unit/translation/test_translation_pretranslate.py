"""Pre-translation on new content, the read models it uses, and partial batches."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Unavailable
from parvis_contracts.events import Envelope
from services.translation.models import CachedTranslation, PersonLanguage, metadata

BODY = "Bonjour @[Jean Dupont](u-42), voici le rapport sur https://example.com/le/rapport"
POST = {
    "post_id": "post-1",
    "community_id": "c-1",
    "author_id": "p-1",
    "body": BODY,
    "revision": 1,
    "language": None,
}


def deliver(world, event, data, handler, occurred_at=None):
    envelope = Envelope.new(event, data)
    if occurred_at is not None:
        envelope = Envelope(id=envelope.id, type=envelope.type, occurred_at=occurred_at, data=envelope.data)
    body = envelope.to_message()
    return getattr(world.svc(), handler)(body), body


def cached_rows(world) -> int:
    with world.Session() as s:
        return s.execute(select(func.count()).select_from(CachedTranslation)).scalar()


def community(world, community_id="c-1", members=()):
    deliver(
        world,
        ev.COMMUNITIES_COMMUNITY_CREATED,
        {
            "community_id": community_id,
            "name": "Projet",
            "kind": "project",
            "visibility": "private",
            "archived": False,
            "newcomers_see_history": True,
            "version": 1,
        },
        "on_community_created",
    )
    for n, (user_id, language) in enumerate(members, start=2):
        deliver(
            world,
            ev.COMMUNITIES_MEMBER_ADDED,
            {"community_id": community_id, "user_id": user_id, "version": n},
            "on_member_added",
        )
        if language:
            deliver(
                world,
                ev.IDENTITY_USER_CREATED,
                {"user_id": user_id, "org_id": "org-1", "guest": False, "preferred_language": language},
                "on_user_created",
            )


@pytest.fixture
def members(world):
    community(
        world, members=[("u-fr", "fr"), ("u-en", "en"), ("u-en2", "en"), ("u-de", "de"), ("u-none", None)]
    )


def test_post_created_pretranslates_into_members_languages_then_reader_hits_cache(world, members):
    result, _ = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    assert result["source"] == "fr" and result["targets"] == ["en"]
    assert "de:not_served" in result["skipped"] and result["translated"] == 1
    calls = len(world.backend.calls)
    out = world.svc(world.member).translate(
        BODY, "en", content={"kind": "post", "id": "post-1", "revision": 1}
    )
    assert out["cached"] is True and "@[Jean Dupont](u-42)" in out["text"]
    assert "https://example.com/le/rapport" in out["text"]
    assert len(world.backend.calls) == calls


def told_translations(world) -> list[dict]:
    outbox = metadata.tables["outbox"]
    with world.Session() as s:
        told = ev.TRANSLATION_CONTENT_TRANSLATED
        where = (outbox.c.source == told.source, outbox.c.event_type == told.name)
        rows = s.execute(select(outbox.c.payload).where(*where).order_by(outbox.c.id))
        return [row[0] for row in rows]


def test_a_stored_translation_of_a_content_is_told_once_per_revision(world, members):
    deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    (told,) = told_translations(world)
    assert told["content_kind"] == "post" and told["content_id"] == "post-1" and told["revision"] == 1
    assert (told["source"], told["target"]) == ("fr", "en")
    assert told["source_hash"] == hashlib.sha256(BODY.encode()).hexdigest()
    assert "report" in told["text"]
    # the reader's cache hit on the same revision tells nothing new
    world.svc(world.member).translate(BODY, "en", content={"kind": "post", "id": "post-1", "revision": 1})
    assert len(told_translations(world)) == 1
    # the same text linked to a newer revision (an edit that kept it) is told again
    world.svc(world.member).translate(BODY, "en", content={"kind": "post", "id": "post-1", "revision": 2})
    assert [t["revision"] for t in told_translations(world)] == [1, 2]
    # a translation asked without a content is nobody's: nothing to tell
    world.svc(world.member).translate("Merci pour la réunion", "en")
    assert len(told_translations(world)) == 2


def test_redelivered_post_created_changes_nothing(world, members):
    _, body = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    rows, calls = cached_rows(world), len(world.backend.calls)
    assert world.svc().on_post_created(body) == "duplicate"
    # a copy with a new event id (published twice) translates nothing again either
    again, _ = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    assert again["translated"] == 0
    assert cached_rows(world) == rows == 1 and len(world.backend.calls) == calls


def test_engine_down_is_logged_not_retried_and_caches_nothing(world, members):
    world.backend.down = True
    result, body = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    assert result["engine_down"] is True
    assert cached_rows(world) == 0
    # the event is done: a redelivery is a duplicate, not a retry towards the dead letters
    assert world.svc().on_post_created(body) == "duplicate"
    world.backend.down = False
    assert world.svc(world.member).translate(BODY, "en")["cached"] is False


def test_stated_language_is_used_and_the_author_language_skipped(world, members):
    result, _ = deliver(
        world, ev.FEED_POST_CREATED, dict(POST, language="en", body="the report"), "on_post_created"
    )
    assert result["source"] == "en" and result["targets"] == ["fr"]


def test_undetectable_text_and_missing_body_are_skipped(world, members):
    result, _ = deliver(world, ev.FEED_POST_CREATED, dict(POST, body="ok"), "on_post_created")
    assert result["skipped"] == ["language_not_detected"] and cached_rows(world) == 0
    result, _ = deliver(
        world, ev.FEED_POST_CREATED, {k: v for k, v in POST.items() if k != "body"}, "on_post_created"
    )
    assert result["targets"] == [] and cached_rows(world) == 0


def test_target_count_is_bounded(world, members, monkeypatch):
    monkeypatch.setenv("PARVIS_TRANSLATION_PRETRANSLATE_MAX_TARGETS", "0")
    result, _ = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    assert result["targets"] == [] and "en:over_limit" in result["skipped"]
    assert cached_rows(world) == 0


def test_removed_members_languages_are_not_targets(world, members):
    for user_id in ("u-en", "u-en2"):
        deliver(
            world,
            ev.COMMUNITIES_MEMBER_REMOVED,
            {"community_id": "c-1", "user_id": user_id, "version": 20},
            "on_member_removed",
        )
    result, _ = deliver(world, ev.FEED_POST_CREATED, POST, "on_post_created")
    assert result["targets"] == []


def test_comment_created_is_pretranslated_with_its_own_content_link(world, members):
    data = {
        "comment_id": "cm-1",
        "post_id": "post-1",
        "community_id": "c-1",
        "author_id": "p-1",
        "body": "merci pour le rapport",
        "revision": 1,
    }
    result, _ = deliver(world, ev.FEED_COMMENT_CREATED, data, "on_comment_created")
    assert result["targets"] == ["en"] and cached_rows(world) == 1
    deliver(world, ev.FEED_COMMENT_DELETED, data, "on_comment_deleted")
    assert cached_rows(world) == 0


def test_page_created_translates_body_and_title(world, members):
    data = {
        "page_id": "pg-1",
        "community_id": "c-1",
        "revision": 1,
        "title": "Le rapport",
        "body": "Bonjour, voici le rapport sur le projet et la réunion",
        "author_id": "p-1",
    }
    result, _ = deliver(world, ev.DOCUMENTS_PAGE_CREATED, data, "on_page_created")
    assert result["source"] == "fr" and result["translated"] == 2
    deliver(world, ev.DOCUMENTS_PAGE_DELETED, data, "on_page_deleted")
    assert cached_rows(world) == 0


def test_language_changes_apply_in_order(world):
    now = datetime.now(UTC)
    deliver(
        world,
        ev.IDENTITY_USER_LANGUAGE_CHANGED,
        {"user_id": "u-1", "org_id": "o", "guest": False, "preferred_language": "es"},
        "on_user_language_changed",
        occurred_at=now.isoformat(),
    )
    late, _ = deliver(
        world,
        ev.IDENTITY_USER_CREATED,
        {"user_id": "u-1", "org_id": "o", "guest": False, "preferred_language": "en"},
        "on_user_created",
        occurred_at=(now - timedelta(minutes=1)).isoformat(),
    )
    assert late == "stale"
    with world.Session() as s:
        assert s.get(PersonLanguage, "u-1").preferred_language == "es"
    deliver(
        world, ev.IDENTITY_USER_ERASED, {"user_id": "u-1", "org_id": "o", "guest": False}, "on_user_erased"
    )
    with world.Session() as s:
        assert s.get(PersonLanguage, "u-1") is None


def test_partial_batch_answers_errors_in_place(world):
    items = [{"text": "le rapport", "source": "fr"}, {"text": "ok"}, {"text": "le projet", "source": "fr"}]
    out = world.svc(world.member).translate_batch(items, "en", partial=True)
    assert out[0]["text"] == "the report" and out[2]["text"] == "the project"
    assert out[1]["error"]["code"] == "validation_failed"


def test_partial_batch_with_engine_down_serves_cache_and_stops_calling(world):
    world.svc(world.member).translate("le rapport", "en", source="fr")
    world.backend.down = True
    items = [{"text": "le projet", "source": "fr"}, {"text": "le rapport", "source": "fr"}]
    out = world.svc(world.member).translate_batch(items, "en", partial=True)
    assert out[0]["error"]["code"] == "unavailable"
    assert out[1]["cached"] is True and out[1]["text"] == "the report"
    with pytest.raises(Unavailable):
        world.svc(world.member).translate_batch(items, "en")
