"""Entrypoints of the feed service: load input, authorise, delegate, dump output.

The rules live in the domain modules (``access``, ``posts``, ``comments``,
``timeline``, ``moderation``) and in ``parvis_contracts.membership`` (the read
model of communities and membership, its event handlers and the generic access
rules); this class only wires them to RPC and events. The interface is
documented in docs/services/feed.md.
"""

from __future__ import annotations

import eventlet
from nameko.exceptions import UnknownService

from parvis_contracts import idempotency, settings
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, RpcProxy, dump, rpc, transactional
from parvis_contracts.errors import NotFound, Unavailable, ValidationFailed
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import comments, moderation, posts, privacy, timeline
from . import schemas as s
from .access import viewer_of
from .models import MEMBERSHIP, metadata

#: an argument left out of an edit: the value stays as it is
KEEP = object()


def documents_timeout() -> float:
    """Seconds to wait for the documents service: less than the gateway waits for us, so
    the person gets our clear ``Unavailable`` rather than a gateway timeout."""
    return max(1, settings.value("PARVIS_RPC_TIMEOUT") - 1)


def given(**values) -> dict:
    return {name: value for name, value in values.items() if value is not KEEP}


class FeedService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    """The communities events keep ``MEMBERSHIP`` (the read model of communities and
    membership) through the handlers inherited from ``MembershipEventHandlers``."""

    name = "feed"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    #: called with the caller's own signed context: it sees what the caller may see
    documents = RpcProxy("documents")
    #: the same: whom pasted handles (@first.last) name, with the author's rights
    identity = RpcProxy("identity")

    def _viewer(self):
        return viewer_of(self.caller)

    def _describe(self, community_id, document_ids):
        """The documents service's description of documents to attach (before anything is
        written). A document that is unknown, deleted, of another community or not
        readable by the caller: the same ``NotFound``, naming the field."""
        try:
            with eventlet.Timeout(documents_timeout()):
                return self.documents.describe_documents(community_id=community_id, document_ids=document_ids)
        except (UnknownService, eventlet.Timeout):
            raise Unavailable(
                "The documents service is not available: try attaching documents again later.",
                {"field": "attachments"},
            ) from None
        except NotFound:
            raise NotFound(
                "This document does not exist or you cannot see it.", {"field": "attachments"}
            ) from None
        except ValidationFailed:
            raise ValidationFailed(
                "The request is not valid.", {"attachments": ["These are not document ids."]}
            ) from None

    def _resolve(self, community_id, handles):
        """Whom pasted handles name (identity's ``mentionable``, with the author's rights):
        ``handle -> {id, display_name, member}``. Identity not answering: a clear
        ``Unavailable``, never a text whose mentions were dropped."""
        try:
            with eventlet.Timeout(documents_timeout()):
                found = self.identity.mentionable(community_id=community_id, handles=handles)
        except (UnknownService, eventlet.Timeout):
            raise Unavailable(
                "People cannot be looked up right now: write the mention again later, or pick "
                "the person from the suggestions.",
                {"field": "body"},
            ) from None
        except NotFound:
            return {}  # identity has not heard of the membership yet: the handles stay text
        return found.get("handles") or {}

    # --- posts -----------------------------------------------------------------

    @rpc
    @transactional
    def create_post(
        self, community_id, body, kind="message", language=None, attachments=None, idempotency_key=None
    ):
        viewer = self._viewer()
        data = load(
            s.CreatePostSchema(),
            {
                "community_id": community_id,
                "body": body,
                "kind": kind,
                "language": language,
                "attachments": attachments or [],
            },
        )
        return idempotency.once(
            self.db,
            viewer.id,
            "feed.create_post",
            idempotency_key,
            data,
            self.clock(),
            lambda: dump(
                s.PostSchema,
                posts.create(
                    self.db, viewer, self.clock(), describe=self._describe, resolve=self._resolve, **data
                ),
            ),
            render=lambda item: dump(s.PostSchema, item),
        )

    @rpc
    @transactional
    def get_post(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return dump(s.PostSchema, posts.get(self.db, viewer, **data))

    @rpc
    @transactional
    def edit_post(self, post_id, body, language=KEEP, attachments=KEEP):
        viewer = self._viewer()
        data = load(
            s.EditPostSchema(),
            {"post_id": post_id, "body": body, **given(language=language, attachments=attachments)},
        )
        return dump(
            s.PostSchema,
            posts.edit(self.db, viewer, self.clock(), describe=self._describe, resolve=self._resolve, **data),
        )

    @rpc
    @transactional
    def post_versions(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return dump(s.VersionsSchema, posts.versions(self.db, viewer, **data))

    @rpc
    @transactional
    def delete_post(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return posts.remove(self.db, viewer, self.clock(), **data)

    @rpc
    @transactional
    def like_post(self, post_id, idempotency_key=None):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return idempotency.once(
            self.db,
            viewer.id,
            "feed.like_post",
            idempotency_key,
            data,
            self.clock(),
            lambda: posts.like(self.db, viewer, self.clock(), **data),
        )

    @rpc
    @transactional
    def unlike_post(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return posts.unlike(self.db, viewer, **data)

    @rpc
    @transactional
    def post_likers(self, post_id, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.PostPageSchema(), {"post_id": post_id, "limit": limit, "cursor": cursor})
        return dump(s.LikersPageSchema, posts.likers(self.db, viewer, **data))

    @rpc
    @transactional
    def accept_answer(self, post_id, comment_id):
        viewer = self._viewer()
        data = load(s.AcceptAnswerSchema(), {"post_id": post_id, "comment_id": comment_id})
        return dump(s.PostSchema, posts.accept_answer(self.db, viewer, **data))

    @rpc
    @transactional
    def mark_announcement_read(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return posts.mark_read(self.db, viewer, self.clock(), **data)

    @rpc
    @transactional
    def announcement_reads(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return dump(s.ReadsSchema, posts.reads(self.db, viewer, **data))

    @rpc
    @transactional
    def remind_announcement(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return dump(s.ReminderSchema, posts.remind(self.db, viewer, self.clock(), **data))

    # --- comments --------------------------------------------------------------

    @rpc
    @transactional
    def create_comment(self, post_id, body, parent_id=None, language=None, idempotency_key=None):
        viewer = self._viewer()
        data = load(
            s.CreateCommentSchema(),
            {"post_id": post_id, "body": body, "parent_id": parent_id, "language": language},
        )
        return idempotency.once(
            self.db,
            viewer.id,
            "feed.create_comment",
            idempotency_key,
            data,
            self.clock(),
            lambda: dump(
                s.CommentSchema, comments.create(self.db, viewer, self.clock(), resolve=self._resolve, **data)
            ),
            render=lambda item: dump(s.CommentSchema, item),
        )

    @rpc
    @transactional
    def list_comments(self, post_id, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.PostPageSchema(), {"post_id": post_id, "limit": limit, "cursor": cursor})
        return dump(s.CommentListSchema, comments.listing(self.db, viewer, **data))

    @rpc
    @transactional
    def get_comment(self, comment_id):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return dump(s.CommentSchema, comments.get(self.db, viewer, **data))

    @rpc
    @transactional
    def edit_comment(self, comment_id, body, language=KEEP):
        viewer = self._viewer()
        data = load(
            s.EditCommentSchema(), {"comment_id": comment_id, "body": body, **given(language=language)}
        )
        return dump(
            s.CommentSchema, comments.edit(self.db, viewer, self.clock(), resolve=self._resolve, **data)
        )

    @rpc
    @transactional
    def comment_versions(self, comment_id):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return dump(s.VersionsSchema, comments.versions(self.db, viewer, **data))

    @rpc
    @transactional
    def delete_comment(self, comment_id):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return comments.remove(self.db, viewer, self.clock(), **data)

    @rpc
    @transactional
    def like_comment(self, comment_id, idempotency_key=None):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return idempotency.once(
            self.db,
            viewer.id,
            "feed.like_comment",
            idempotency_key,
            data,
            self.clock(),
            lambda: comments.like(self.db, viewer, self.clock(), **data),
        )

    @rpc
    @transactional
    def unlike_comment(self, comment_id):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return comments.unlike(self.db, viewer, **data)

    @rpc
    @transactional
    def comment_likers(self, comment_id, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.CommentPageSchema(), {"comment_id": comment_id, "limit": limit, "cursor": cursor})
        return dump(s.LikersPageSchema, comments.likers(self.db, viewer, **data))

    # --- lists -----------------------------------------------------------------

    @rpc
    @transactional
    def home_timeline(self, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.HomeSchema(), {"limit": limit, "cursor": cursor})
        return dump(s.HomePageSchema, timeline.home(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def community_wall(self, community_id, kind=None, unanswered=False, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(
            s.WallSchema(),
            {
                "community_id": community_id,
                "kind": kind,
                "unanswered": unanswered,
                "limit": limit,
                "cursor": cursor,
            },
        )
        return dump(s.PostListSchema, timeline.wall(self.db, viewer, **data))

    @rpc
    @transactional
    def hashtag_posts(self, tag, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.HashtagSchema(), {"tag": tag, "limit": limit, "cursor": cursor})
        return dump(s.PostListSchema, timeline.hashtag(self.db, viewer, **data))

    @rpc
    @transactional
    def unread_announcements(self, community_id=None, limit=10):
        """The must-read announcements the caller has not acknowledged (pinned until read)."""
        viewer = self._viewer()
        data = load(s.UnreadAnnouncementsSchema(), {"community_id": community_id, "limit": limit})
        return dump(s.PostListSchema, timeline.unread_announcements(self.db, viewer, **data))

    @rpc
    @transactional
    def author_posts(self, author_id, limit=5, cursor=None):
        """A person's posts the caller may read (a profile's recent activity)."""
        viewer = self._viewer()
        data = load(s.AuthorPostsSchema(), {"author_id": author_id, "limit": limit, "cursor": cursor})
        return dump(s.PostListSchema, timeline.by_author(self.db, viewer, **data))

    @rpc
    @transactional
    def mentions_of_me(self, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.HomeSchema(), {"limit": limit, "cursor": cursor})
        return dump(s.PostListSchema, timeline.mentioning_me(self.db, viewer, **data))

    # --- reports ---------------------------------------------------------------

    @rpc
    @transactional
    def report_content(self, target_type, target_id, reason):
        viewer = self._viewer()
        data = load(s.ReportSchema(), {"target_type": target_type, "target_id": target_id, "reason": reason})
        return dump(s.ReportOutSchema, moderation.report(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def report_queue(self, community_id, status="open", limit=20, cursor=None):
        viewer = self._viewer()
        data = load(
            s.QueueSchema(),
            {"community_id": community_id, "status": status, "limit": limit, "cursor": cursor},
        )
        return dump(s.ReportPageSchema, moderation.queue(self.db, viewer, **data))

    @rpc
    @transactional
    def resolve_report(self, report_id, action):
        viewer = self._viewer()
        data = load(s.ResolveReportSchema(), {"report_id": report_id, "action": action})
        return dump(s.ReportOutSchema, moderation.resolve(self.db, viewer, self.clock(), **data))
