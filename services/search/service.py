"""Entrypoints of the search service: load input, authorise, delegate, dump output.

The index is kept current by the feed's and the documents' events (``indexing``, one
function per event), identity's (people: ``people``) and the communities' (``communities``),
and read by three RPCs for a signed-in person: ``search`` (what they may read, decided in
the query and checked again for every hit: ``visibility``), ``find_experts`` and
``suggest_skills`` (the expertise finder: ``experts``). The engine is the database's
(``engines``). The interface is documented in docs/services/search.md.
"""

from __future__ import annotations

from parvis_contracts import events as ev
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, dump, rpc, transactional
from parvis_contracts.handlers import told_by
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers, viewer_of
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import communities, experts, indexing, people, privacy, searching
from . import schemas as s
from .models import MEMBERSHIP, metadata


class SearchService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    name = "search"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()

    # --- what keeps the index current (docs/services/search.md, "Events consumed") -------

    on_post_created = told_by(ev.FEED_POST_CREATED, indexing.post_written)
    on_post_updated = told_by(ev.FEED_POST_UPDATED, indexing.post_written)
    on_post_deleted = told_by(ev.FEED_POST_DELETED, indexing.post_deleted)
    on_comment_created = told_by(ev.FEED_COMMENT_CREATED, indexing.comment_written)
    on_comment_updated = told_by(ev.FEED_COMMENT_UPDATED, indexing.comment_written)
    on_comment_deleted = told_by(ev.FEED_COMMENT_DELETED, indexing.comment_deleted)
    on_content_hidden = told_by(ev.FEED_CONTENT_HIDDEN, indexing.content_moderated, True)
    on_content_restored = told_by(ev.FEED_CONTENT_RESTORED, indexing.content_moderated, False)
    on_answer_accepted = told_by(ev.FEED_ANSWER_ACCEPTED, indexing.answer_accepted)
    on_page_created = told_by(ev.DOCUMENTS_PAGE_CREATED, indexing.page_written)
    on_page_updated = told_by(ev.DOCUMENTS_PAGE_UPDATED, indexing.page_written)
    on_page_deleted = told_by(ev.DOCUMENTS_PAGE_DELETED, indexing.page_deleted)
    on_document_created = told_by(ev.DOCUMENTS_DOCUMENT_CREATED, indexing.document_written)
    on_document_version_added = told_by(ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, indexing.document_written)
    on_document_deleted = told_by(ev.DOCUMENTS_DOCUMENT_DELETED, indexing.document_deleted)

    # people (identity) and communities: the state events feed the membership read model
    # and the community's own row in one handler (these replace MembershipEventHandlers')
    on_profile_changed = told_by(ev.IDENTITY_PROFILE_CHANGED, people.profile_changed)
    on_organisation_created = told_by(ev.IDENTITY_ORGANISATION_CREATED, people.organisation_changed)
    on_organisation_updated = told_by(ev.IDENTITY_ORGANISATION_UPDATED, people.organisation_changed)
    on_community_created = told_by(ev.COMMUNITIES_COMMUNITY_CREATED, communities.state_changed)
    on_community_updated = told_by(ev.COMMUNITIES_COMMUNITY_UPDATED, communities.state_changed)
    on_community_archived = told_by(ev.COMMUNITIES_COMMUNITY_ARCHIVED, communities.state_changed)
    on_community_reopened = told_by(ev.COMMUNITIES_COMMUNITY_REOPENED, communities.state_changed)
    on_document_text_extracted = told_by(
        ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED, indexing.document_text_extracted
    )

    # --- a person's search -----------------------------------------------------------------

    @rpc
    @transactional
    def search(self, query, kinds=None, community_id=None, language=None, cursor=None, limit=20):
        data = load(
            s.SearchIn(),
            {
                "query": query,
                "kinds": kinds,
                "community_id": community_id,
                "language": language,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return dump(s.SearchPageSchema, searching.search(self.db, viewer_of(self.caller), **data))

    # --- the expertise finder -----------------------------------------------------------------

    @rpc
    @transactional
    def find_experts(
        self, skill, country=None, language=None, org_id=None, community_id=None, cursor=None, limit=20
    ):
        data = load(
            s.ExpertsIn(),
            {
                "skill": skill,
                "country": country,
                "language": language,
                "org_id": org_id,
                "community_id": community_id,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return dump(s.ExpertPageSchema, experts.find(self.db, viewer_of(self.caller), **data))

    @rpc
    @transactional
    def suggest_skills(self, prefix, limit=10):
        data = load(s.SkillsIn(), {"prefix": prefix, "limit": limit})
        return dump(s.SkillPageSchema, experts.suggest(self.db, viewer_of(self.caller), **data))
