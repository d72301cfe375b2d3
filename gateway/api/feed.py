"""``/api/v1`` wall, posts, comments, likes, timeline, hashtags, mentions and reports."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from .. import rpc
from .communities import page_kwargs, with_people
from .schemas import (AcceptedAnswerSchema, BodySchema, CommentCreateSchema,
                      CommentPageSchema, CommentSchema, DeletedSchema, LikerPageSchema,
                      LikeSchema, PageQuerySchema, PostCreateSchema, PostPageSchema, PostSchema,
                      ReadSchema, ReadsSchema, ReportCreateSchema, ReportPageSchema,
                      ReportQuerySchema, ReportSchema, ResolveSchema, TimelineSchema,
                      VersionListSchema, WallQuerySchema)

blp = Blueprint("feed", __name__, url_prefix="/api/v1",
                description="Community walls: posts, comments, likes, questions, announcements, "
                            "the home timeline, hashtags, mentions and reports")


def wall_kwargs(args: dict) -> dict:
    kwargs = page_kwargs(args)
    if args.get("kind"):
        kwargs["kind"] = args["kind"]
    if args.get("unanswered"):
        kwargs["unanswered"] = True
    return kwargs


def reads_with_people(reads: dict) -> dict:
    from .communities import people_cards

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
        return with_people(rpc.call("feed", "home_timeline", **page_kwargs(args)), "author_id")


@blp.route("/communities/<string:community_id>/posts")
class Wall(MethodView):
    @blp.arguments(WallQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args, community_id):
        """A community's wall, newest first (kind filter, unanswered questions)"""
        page = rpc.call("feed", "community_wall", community_id=community_id,
                        **wall_kwargs(args))
        return with_people(page, "author_id")

    @blp.arguments(PostCreateSchema)
    @blp.response(201, PostSchema)
    def post(self, data, community_id):
        """Post on the wall (members; announcements: managers)"""
        return rpc.call("feed", "create_post", community_id=community_id, body=data["body"],
                        kind=data["kind"])


@blp.route("/posts/<string:post_id>")
class Post(MethodView):
    @blp.response(200, PostSchema)
    def get(self, post_id):
        """A post"""
        return rpc.call("feed", "get_post", post_id=post_id)

    @blp.arguments(BodySchema)
    @blp.response(200, PostSchema)
    def patch(self, data, post_id):
        """Edit a post (author, moderators); the previous text is kept"""
        return rpc.call("feed", "edit_post", post_id=post_id, body=data["body"])

    @blp.response(200, DeletedSchema)
    def delete(self, post_id):
        """Delete a post (author, moderators)"""
        return rpc.call("feed", "delete_post", post_id=post_id)


@blp.route("/posts/<string:post_id>/versions")
class PostVersions(MethodView):
    @blp.response(200, VersionListSchema)
    def get(self, post_id):
        """A post's edit history, oldest first"""
        return rpc.call("feed", "post_versions", post_id=post_id)


@blp.route("/posts/<string:post_id>/like")
class PostLike(MethodView):
    @blp.response(200, LikeSchema)
    def post(self, post_id):
        """Like a post (members)"""
        return rpc.call("feed", "like_post", post_id=post_id)

    @blp.response(200, LikeSchema)
    def delete(self, post_id):
        """Take back your like"""
        return rpc.call("feed", "unlike_post", post_id=post_id)


@blp.route("/posts/<string:post_id>/likes")
class PostLikers(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, LikerPageSchema)
    def get(self, args, post_id):
        """Who liked a post"""
        page = rpc.call("feed", "post_likers", post_id=post_id, **page_kwargs(args))
        return with_people(page, "user_id")


@blp.route("/posts/<string:post_id>/comments")
class Comments(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CommentPageSchema)
    def get(self, args, post_id):
        """A post's comments, oldest first (replies carry parent_id)"""
        page = rpc.call("feed", "list_comments", post_id=post_id, **page_kwargs(args))
        return with_people(page, "author_id")

    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    def post(self, data, post_id):
        """Comment a post, or reply to a comment (members)"""
        return rpc.call("feed", "create_comment", post_id=post_id, body=data["body"],
                        parent_id=data.get("parent_id"))


@blp.route("/comments/<string:comment_id>")
class Comment(MethodView):
    @blp.arguments(BodySchema)
    @blp.response(200, CommentSchema)
    def patch(self, data, comment_id):
        """Edit a comment (author, moderators)"""
        return rpc.call("feed", "edit_comment", comment_id=comment_id, body=data["body"])

    @blp.response(200, DeletedSchema)
    def delete(self, comment_id):
        """Delete a comment (author, moderators)"""
        return rpc.call("feed", "delete_comment", comment_id=comment_id)


@blp.route("/comments/<string:comment_id>/like")
class CommentLike(MethodView):
    @blp.response(200, LikeSchema)
    def post(self, comment_id):
        """Like a comment (members)"""
        return rpc.call("feed", "like_comment", comment_id=comment_id)

    @blp.response(200, LikeSchema)
    def delete(self, comment_id):
        """Take back your like of a comment"""
        return rpc.call("feed", "unlike_comment", comment_id=comment_id)


@blp.route("/posts/<string:post_id>/accepted-answer")
class AcceptedAnswer(MethodView):
    @blp.arguments(AcceptedAnswerSchema)
    @blp.response(200, PostSchema)
    def put(self, data, post_id):
        """Accept a comment as the answer of a question, or clear it with null"""
        return rpc.call("feed", "accept_answer", post_id=post_id,
                        comment_id=data["comment_id"])


@blp.route("/posts/<string:post_id>/read")
class MarkRead(MethodView):
    @blp.response(200, ReadSchema)
    def post(self, post_id):
        """Mark an announcement as read (members)"""
        return rpc.call("feed", "mark_announcement_read", post_id=post_id)


@blp.route("/posts/<string:post_id>/reads")
class Reads(MethodView):
    @blp.response(200, ReadsSchema)
    def get(self, post_id):
        """Who read an announcement and who has not yet (moderators)"""
        return reads_with_people(rpc.call("feed", "announcement_reads", post_id=post_id))


@blp.route("/hashtags/<string:tag>/posts")
class HashtagPosts(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args, tag):
        """Posts with a hashtag in the communities you can read"""
        page = rpc.call("feed", "hashtag_posts", tag=tag, **page_kwargs(args))
        return with_people(page, "author_id")


@blp.route("/me/mentions")
class MyMentions(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PostPageSchema)
    def get(self, args):
        """Posts mentioning you"""
        page = rpc.call("feed", "mentions_of_me", **page_kwargs(args))
        return with_people(page, "author_id")


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    def post(self, data):
        """Report a post or a comment to the community's moderators"""
        return rpc.call("feed", "report_content", **data)


@blp.route("/communities/<string:community_id>/reports")
class CommunityReports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportPageSchema)
    def get(self, args, community_id):
        """A community's reports queue, oldest first (moderators)"""
        return rpc.call("feed", "report_queue", community_id=community_id,
                        status=args["status"], **page_kwargs(args))


@blp.route("/reports/<string:report_id>/resolve")
class ResolveReport(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, ReportSchema)
    def post(self, data, report_id):
        """Hide or restore the reported content; resolves every open report on it"""
        return rpc.call("feed", "resolve_report", report_id=report_id, action=data["action"])
