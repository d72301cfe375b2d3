"""Entrypoints of the feed service: load input, authorise, delegate, dump output.

The rules live in the domain modules (``access``, ``posts``, ``comments``,
``timeline``, ``moderation``, ``readmodel``, ``render``); this class only wires
them to RPC and events. The interface is documented in docs/services/feed.md.
"""
from __future__ import annotations

from datetime import datetime

from parvis_contracts import events as ev
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, dump, rpc, transactional
from parvis_contracts.handlers import idempotent_handler
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics
from parvis_contracts.schemas import load

from . import comments, moderation, posts, readmodel, timeline
from . import schemas as s
from .access import viewer_of
from .models import metadata


def _occurred(envelope) -> datetime:
    return datetime.fromisoformat(envelope.occurred_at)


class FeedService(PlatformEntrypoints):
    name = "feed"

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()

    def _viewer(self):
        return viewer_of(self.caller)

    # --- posts -----------------------------------------------------------------

    @rpc
    @transactional
    def create_post(self, community_id, body, kind="message"):
        viewer = self._viewer()
        data = load(s.CreatePostSchema(), {"community_id": community_id, "body": body,
                                           "kind": kind})
        return dump(s.PostSchema, posts.create(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def get_post(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return dump(s.PostSchema, posts.get(self.db, viewer, **data))

    @rpc
    @transactional
    def edit_post(self, post_id, body):
        viewer = self._viewer()
        data = load(s.EditPostSchema(), {"post_id": post_id, "body": body})
        return dump(s.PostSchema, posts.edit(self.db, viewer, self.clock(), **data))

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
    def like_post(self, post_id):
        viewer = self._viewer()
        data = load(s.PostIdSchema(), {"post_id": post_id})
        return posts.like(self.db, viewer, self.clock(), **data)

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

    # --- comments --------------------------------------------------------------

    @rpc
    @transactional
    def create_comment(self, post_id, body, parent_id=None):
        viewer = self._viewer()
        data = load(s.CreateCommentSchema(), {"post_id": post_id, "body": body,
                                              "parent_id": parent_id})
        return dump(s.CommentSchema, comments.create(self.db, viewer, self.clock(), **data))

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
    def edit_comment(self, comment_id, body):
        viewer = self._viewer()
        data = load(s.EditCommentSchema(), {"comment_id": comment_id, "body": body})
        return dump(s.CommentSchema, comments.edit(self.db, viewer, self.clock(), **data))

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
    def like_comment(self, comment_id):
        viewer = self._viewer()
        data = load(s.CommentIdSchema(), {"comment_id": comment_id})
        return comments.like(self.db, viewer, self.clock(), **data)

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
        data = load(s.CommentPageSchema(), {"comment_id": comment_id, "limit": limit,
                                            "cursor": cursor})
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
        data = load(s.WallSchema(), {"community_id": community_id, "kind": kind,
                                     "unanswered": unanswered, "limit": limit,
                                     "cursor": cursor})
        return dump(s.PostListSchema, timeline.wall(self.db, viewer, **data))

    @rpc
    @transactional
    def hashtag_posts(self, tag, limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.HashtagSchema(), {"tag": tag, "limit": limit, "cursor": cursor})
        return dump(s.PostListSchema, timeline.hashtag(self.db, viewer, **data))

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
        data = load(s.ReportSchema(), {"target_type": target_type, "target_id": target_id,
                                       "reason": reason})
        return dump(s.ReportOutSchema, moderation.report(self.db, viewer, self.clock(), **data))

    @rpc
    @transactional
    def report_queue(self, community_id, status="open", limit=20, cursor=None):
        viewer = self._viewer()
        data = load(s.QueueSchema(), {"community_id": community_id, "status": status,
                                      "limit": limit, "cursor": cursor})
        return dump(s.ReportPageSchema, moderation.queue(self.db, viewer, **data))

    @rpc
    @transactional
    def resolve_report(self, report_id, action):
        viewer = self._viewer()
        data = load(s.ResolveReportSchema(), {"report_id": report_id, "action": action})
        return dump(s.ReportOutSchema, moderation.resolve(self.db, viewer, self.clock(), **data))

    # --- events: the read model of communities and membership --------------------

    def _community_state(self, envelope):
        data = load(s.CommunityStateSchema(), envelope.data)
        readmodel.community_state(self.db, data)

    @idempotent_handler(ev.COMMUNITIES_COMMUNITY_CREATED)
    def on_community_created(self, envelope):
        self._community_state(envelope)

    @idempotent_handler(ev.COMMUNITIES_COMMUNITY_UPDATED)
    def on_community_updated(self, envelope):
        self._community_state(envelope)

    @idempotent_handler(ev.COMMUNITIES_COMMUNITY_ARCHIVED)
    def on_community_archived(self, envelope):
        self._community_state(envelope)

    @idempotent_handler(ev.COMMUNITIES_COMMUNITY_REOPENED)
    def on_community_reopened(self, envelope):
        self._community_state(envelope)

    @idempotent_handler(ev.COMMUNITIES_MEMBER_ADDED)
    def on_member_added(self, envelope):
        data = load(s.MembershipSchema(), envelope.data)
        readmodel.member_added(self.db, data, _occurred(envelope))

    @idempotent_handler(ev.COMMUNITIES_MEMBER_REMOVED)
    def on_member_removed(self, envelope):
        data = load(s.MembershipSchema(), envelope.data)
        readmodel.member_removed(self.db, data)

    @idempotent_handler(ev.COMMUNITIES_MEMBER_ROLE_CHANGED)
    def on_member_role_changed(self, envelope):
        data = load(s.MembershipSchema(), envelope.data)
        readmodel.member_role_changed(self.db, data, _occurred(envelope))
