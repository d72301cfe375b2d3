"""Unit tier for search: the real service class, a real database, no broker.

Events reach the handlers as signed ``Envelope`` bodies, as in production: the membership
read model through ``AccessTableWorld`` (A private with a manager, two members and a guest;
B private, C open, S secret), the feed's and documents' events through :meth:`World.event`,
stamped with the test's clock (the newcomers' rule compares them with ``joined_at``).
The engine is the database's: SQLite FTS5, or PostgreSQL with ``PARVIS_TEST_DB=postgresql``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from parvis_contracts import events as ev
from parvis_contracts.db import session_factory
from parvis_contracts.events import Envelope, validate_payload
from services.search.models import metadata
from services.search.plugin import SERVICE
from services.search.service import SearchService
from tests.support import AccessTableWorld, FakeClock, build_access_table, unit_engine

HANDLERS = dict(SERVICE.handles)


class World(AccessTableWorld):
    service_class = SearchService

    def event(self, event, **data):
        """Hand ``event`` to the service's handler of it, stamped now by the test's clock;
        answers the message body (so a test can deliver the very same message again)."""
        envelope = Envelope(
            id=str(uuid.uuid4()),
            type=event.key,
            occurred_at=self.clock().isoformat(),
            data=validate_payload(event, data),
        )
        body = envelope.to_message()
        self.redeliver(event, body)
        return body

    def redeliver(self, event, body):
        return getattr(self.svc(), HANDLERS[event])(body)

    # --- what the other services publish ------------------------------------------------

    def post(self, post_id, body, cid="A", author=None, language="en", revision=1, updated=False):
        return self.event(
            ev.FEED_POST_UPDATED if updated else ev.FEED_POST_CREATED,
            post_id=post_id,
            community_id=cid,
            author_id=(author or self.member).user_id,
            language=language,
            body=body,
            revision=revision,
        )

    def comment(self, comment_id, post_id, body, cid="A", author=None, language="en", revision=1):
        return self.event(
            ev.FEED_COMMENT_UPDATED if revision > 1 else ev.FEED_COMMENT_CREATED,
            comment_id=comment_id,
            post_id=post_id,
            community_id=cid,
            author_id=(author or self.other_member).user_id,
            language=language,
            body=body,
            revision=revision,
        )

    def page(self, page_id, title, body, cid="A", author=None, language="en", revision=1):
        return self.event(
            ev.DOCUMENTS_PAGE_UPDATED if revision > 1 else ev.DOCUMENTS_PAGE_CREATED,
            page_id=page_id,
            community_id=cid,
            revision=revision,
            title=title,
            body=body,
            author_id=(author or self.member).user_id,
            language=language,
        )

    def document(self, document_id, name, cid="A", author=None, version=1, event=None):
        return self.event(
            event or (ev.DOCUMENTS_DOCUMENT_VERSION_ADDED if version > 1 else ev.DOCUMENTS_DOCUMENT_CREATED),
            document_id=document_id,
            community_id=cid,
            folder_id=None,
            name=name,
            version=version,
            sha256="0" * 64,
            size=10,
            content_type="application/pdf",
            author_id=(author or self.member).user_id,
        )

    def moderate(self, event, target_type, target_id, post_id, cid="A"):
        return self.event(
            event,
            community_id=cid,
            target_type=target_type,
            target_id=target_id,
            post_id=post_id,
            by=self.manager.user_id,
        )

    def profile(self, caller, version=None, **fields):
        """identity's ``profile_changed`` for ``caller`` (an active employee by default;
        each call the next version unless one is given)."""
        self.profile_versions = getattr(self, "profile_versions", {})
        if version is None:
            version = self.profile_versions.get(caller.user_id, 0) + 1
        self.profile_versions[caller.user_id] = max(version, self.profile_versions.get(caller.user_id, 0))
        data = {
            "user_id": caller.user_id,
            "org_id": caller.org_id,
            "guest": caller.guest,
            "active": True,
            "display_name": caller.user_id,
            "preferred_language": "en",
            "org_name": "Partner Co" if caller.guest else "Acme",
            "version": version,
            **fields,
        }
        return self.event(ev.IDENTITY_PROFILE_CHANGED, **data)

    def organisation(self, org_id, name, event=None, kind="partner"):
        return self.event(event or ev.IDENTITY_ORGANISATION_UPDATED, org_id=org_id, name=name, kind=kind)

    def erase(self, caller):
        return self.event(
            ev.IDENTITY_USER_ERASED, user_id=caller.user_id, org_id=caller.org_id, guest=caller.guest
        )

    # --- what a person finds ----------------------------------------------------------------

    def search(self, caller, query, **kwargs):
        return self.svc(caller).search(query=query, **kwargs)

    def found(self, caller, query, **kwargs) -> list[str]:
        """The ids ``caller`` finds, in order."""
        return [hit["id"] for hit in self.search(caller, query, **kwargs)["items"]]

    def experts(self, caller, skill, **kwargs) -> dict:
        return self.svc(caller).find_experts(skill=skill, **kwargs)

    def expert_ids(self, caller, skill, **kwargs) -> list[str]:
        return [item["id"] for item in self.experts(caller, skill, **kwargs)["items"]]

    def skills(self, caller, prefix, **kwargs) -> list[str]:
        return [item["skill"] for item in self.svc(caller).suggest_skills(prefix=prefix, **kwargs)["items"]]


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "search", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    w.engine = engine
    yield build_access_table(w)
    w.close()
