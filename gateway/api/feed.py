"""``/api/v1`` wall, posts, comments, likes, timeline, hashtags, mentions and reports."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from parvis_contracts import markdown
from parvis_contracts.idempotency import KEY_RE

from ..calls import feed, identity
from ..calls.identity import people_cards, with_people
from .schemas import (
    AcceptedAnswerSchema,
    AnnouncementsQuerySchema,
    CommentCreateSchema,
    CommentEditSchema,
    CommentPageSchema,
    CommentSchema,
    DeletedSchema,
    LikerPageSchema,
    LikeSchema,
    MentionableListSchema,
    MentionableQuerySchema,
    PageQuerySchema,
    PostCreateSchema,
    PostEditSchema,
    PostPageSchema,
    PostSchema,
    ReadSchema,
    ReadsSchema,
    ReminderSchema,
    ReportCreateSchema,
    ReportPageSchema,
    ReportQuerySchema,
    ReportSchema,
    ResolveSchema,
    TimelineSchema,
    VersionListSchema,
    WallQuerySchema,
)

blp = Blueprint(
    "feed",
    __name__,
    url_prefix="/api/v1",
    description="Community walls: posts, comments, likes, questions, announcements, "
    "the home timeline, hashtags, mentions and reports",
)


class IdempotencyHeaderSchema(ma.Schema):
    """The ``Idempotency-Key`` header of a create (posts, comments, likes, uploads)."""

    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key",
        validate=ma.validate.Regexp(KEY_RE, error="1 to 128 printable ASCII characters."),
        metadata={
            "description": (
                "Optional. A key you choose (1 to 128 printable ASCII characters), unique per "
                "write you mean. Send the same request again with the same key (after a time-out, "
                "a 503/504 or a broken connection) and it is written once: the retry answers "
                "what the first answered. The same key with a different request answers 422. "
                "Keys are kept 24 hours."
            )
        },
    )


#: ``@blp.arguments(*IDEMPOTENCY)``: the header, documented, as the view's keyword argument
IDEMPOTENCY = (IdempotencyHeaderSchema,)
IDEMPOTENCY_ARGS = {"location": "headers", "as_kwargs": True}


def reads_with_people(reads: dict) -> dict:
    ids = [entry.get("user_id") for entry in reads.get("read") or []]
    ids += list(reads.get("unread") or [])
    return {**reads, "people": people_cards(ids)}


@blp.route("/timeline")
class Timeline(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, TimelineSchema)
    def get(self, args):
        """Your home timeline: posts of your communities, newest first, new ones flagged

        The first page (no cursor) records your visit.
        """
        return with_people(feed.home_timeline(args), "author_id")


@blp.route("/communities/<string:community_id>/posts")
class Wall(MethodView):
    @blp.arguments(WallQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args, community_id):
        """A community's wall, newest first (kind filter, unanswered questions)"""
        return with_people(feed.community_wall(community_id, args), "author_id")

    @blp.arguments(PostCreateSchema)
    @blp.arguments(*IDEMPOTENCY, **IDEMPOTENCY_ARGS)
    @blp.response(201, PostSchema)
    def post(self, data, community_id, idempotency_key=None):
        """Post on the wall (members; announcements: managers)

        ``language``: the language you wrote in (null: detected). ``attachments``: ids of
        documents of this community's bank you can read, at most 10; an unknown one, one
        of another community or one you cannot read answers the same 404 (nothing is
        written); 503 when the documents service cannot be reached.
        """
        return feed.create_post(
            community_id,
            data["body"],
            data["kind"],
            data["language"],
            data["attachments"],
            idempotency_key=idempotency_key,
        )


@blp.route("/posts/<string:post_id>")
class Post(MethodView):
    @blp.response(200, PostSchema)
    def get(self, post_id):
        """A post"""
        return feed.get_post(post_id)

    @blp.arguments(PostEditSchema)
    @blp.response(200, PostSchema)
    def patch(self, data, post_id):
        """Edit a post (author, moderators); the previous text is kept

        ``language`` and ``attachments`` change only when given (``attachments`` replaces
        the list; documents already attached keep what was recorded of them).
        """
        return feed.edit_post(post_id, **data)

    @blp.response(200, DeletedSchema)
    def delete(self, post_id):
        """Delete a post (author, moderators)"""
        return feed.delete_post(post_id)


@blp.route("/posts/<string:post_id>/versions")
class PostVersions(MethodView):
    @blp.response(200, VersionListSchema)
    def get(self, post_id):
        """A post's edit history, oldest first"""
        return feed.post_versions(post_id)


def like_view(kind: str) -> type[MethodView]:
    """``POST`` / ``DELETE /<kind>s/<id>/like``: like a post or a comment, or take it back."""

    like, unlike = getattr(feed, f"like_{kind}"), getattr(feed, f"unlike_{kind}")

    class Like(MethodView):
        @blp.arguments(*IDEMPOTENCY, **IDEMPOTENCY_ARGS)
        @blp.response(200, LikeSchema)
        def post(self, idempotency_key=None, **ids):
            return like(**ids, idempotency_key=idempotency_key)

        @blp.response(200, LikeSchema)
        def delete(self, **ids):
            return unlike(**ids)

    # the OpenAPI summaries (read from the docstrings when the route is registered)
    Like.post.__doc__ = f"Like a {kind} (members)"
    Like.delete.__doc__ = f"Take back your like of a {kind}"
    blp.route(f"/{kind}s/<string:{kind}_id>/like", endpoint=f"{kind.title()}Like")(Like)
    return Like


PostLike = like_view("post")
CommentLike = like_view("comment")


@blp.route("/posts/<string:post_id>/likes")
class PostLikers(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, LikerPageSchema)
    def get(self, args, post_id):
        """Who liked a post"""
        return with_people(feed.post_likers(post_id, args), "user_id")


@blp.route("/posts/<string:post_id>/comments")
class Comments(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CommentPageSchema)
    def get(self, args, post_id):
        """A post's comments, oldest first (replies carry parent_id)"""
        return with_people(feed.list_comments(post_id, args), "author_id")

    @blp.arguments(CommentCreateSchema)
    @blp.arguments(*IDEMPOTENCY, **IDEMPOTENCY_ARGS)
    @blp.response(201, CommentSchema)
    def post(self, data, post_id, idempotency_key=None):
        """Comment a post, or reply to a comment (members)"""
        return feed.create_comment(
            post_id,
            data["body"],
            parent_id=data.get("parent_id"),
            language=data.get("language"),
            idempotency_key=idempotency_key,
        )


@blp.route("/comments/<string:comment_id>")
class Comment(MethodView):
    @blp.arguments(CommentEditSchema)
    @blp.response(200, CommentSchema)
    def patch(self, data, comment_id):
        """Edit a comment (author, moderators); ``language`` changes only when given"""
        return feed.edit_comment(comment_id, **data)

    @blp.response(200, DeletedSchema)
    def delete(self, comment_id):
        """Delete a comment (author, moderators)"""
        return feed.delete_comment(comment_id)


@blp.route("/posts/<string:post_id>/accepted-answer")
class AcceptedAnswer(MethodView):
    @blp.arguments(AcceptedAnswerSchema)
    @blp.response(200, PostSchema)
    def put(self, data, post_id):
        """Accept a comment as the answer of a question, or clear it with null"""
        return feed.accept_answer(post_id, data["comment_id"])


@blp.route("/posts/<string:post_id>/read")
class MarkRead(MethodView):
    @blp.response(200, ReadSchema)
    def post(self, post_id):
        """Mark an announcement as read (members)"""
        return feed.mark_announcement_read(post_id)


@blp.route("/posts/<string:post_id>/reads")
class Reads(MethodView):
    @blp.response(200, ReadsSchema)
    def get(self, post_id):
        """Who read an announcement and who has not yet (moderators)"""
        return reads_with_people(feed.announcement_reads(post_id))


@blp.route("/posts/<string:post_id>/reminders")
class Reminders(MethodView):
    @blp.response(200, ReminderSchema)
    def post(self, post_id):
        """Remind the members who have not read an announcement (its managers; once a day)"""
        return feed.remind_announcement(post_id)


@blp.route("/hashtags/<string:tag>/posts")
class HashtagPosts(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args, tag):
        """Posts with a hashtag in the communities you can read"""
        return with_people(feed.hashtag_posts(tag, args), "author_id")


@blp.route("/me/mentions")
class MyMentions(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args):
        """Posts that mention you, in their text or in one of their comments

        Each post once, the one you were most recently mentioned about first.
        """
        return with_people(feed.mentions_of_me(args), "author_id")


@blp.route("/me/announcements")
class MyUnreadAnnouncements(MethodView):
    @blp.arguments(AnnouncementsQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args):
        """Must-read announcements of your communities you have not acknowledged yet

        Newest first; not your own. Acknowledge one with ``POST /posts/{post_id}/read``:
        it leaves this list (the pages pin these at the top of home and of the wall).
        """
        page = feed.unread_announcements(args.get("community_id"), args["limit"])
        return with_people(page, "author_id")


@blp.route("/communities/<string:community_id>/mentionable")
class Mentionable(MethodView):
    @blp.arguments(MentionableQuerySchema, location="query")
    @blp.response(200, MentionableListSchema)
    def get(self, args, community_id):
        """People you may mention in a community (the mention picker)

        Its members whose name holds every word of ``q`` (you aside), those whose name
        starts with it first; for its members only (a guest's fellow members are people they
        share a community with). Mentioning anyone else is refused with 422 naming them.
        No ``q``: an empty list.
        """
        found = identity.mentionable(community_id, args.get("q"), args["limit"])
        items = found.get("items") or []
        return {
            "items": [
                {**item, "mention": markdown.mention_markup(item["display_name"], item["id"])}
                for item in items
            ]
        }


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    def post(self, data):
        """Report a post or a comment to the community's moderators"""
        return feed.report_content(**data)


@blp.route("/communities/<string:community_id>/reports")
class CommunityReports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportPageSchema)
    def get(self, args, community_id):
        """A community's reports queue, oldest first (moderators)"""
        return feed.report_queue(community_id, args["status"], args)


@blp.route("/reports/<string:report_id>/resolve")
class ResolveReport(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, ReportSchema)
    def post(self, data, report_id):
        """Hide or restore the reported content; resolves every open report on it"""
        return feed.resolve_report(report_id, data["action"])
