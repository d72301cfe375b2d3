"""``/api/v1/communities`` and ``/api/v1/me/invitations``: communities and their members."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from .. import rpc
from ..calls.identity import with_people
from .schemas import (
    CommunityCreateSchema,
    CommunityInvitationListSchema,
    CommunityInvitationSchema,
    CommunityPageSchema,
    CommunityQuerySchema,
    CommunitySchema,
    CommunityUpdateSchema,
    InviteSchema,
    JoinRequestCreateSchema,
    JoinRequestListSchema,
    JoinRequestSchema,
    MemberPageSchema,
    MemberSchema,
    OutcomeSchema,
    PageQuerySchema,
    RoleSchema,
)

blp = Blueprint(
    "communities",
    __name__,
    url_prefix="/api/v1",
    description="Communities: directory, settings, membership, invitations, join requests",
)


def list_kwargs(args: dict) -> dict:
    kwargs = {"limit": args.get("limit", 20), "mine": bool(args.get("mine"))}
    for name in ("query", "kind", "visibility", "cursor"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


def page_kwargs(args: dict) -> dict:
    kwargs = {"limit": args.get("limit", 20)}
    if args.get("cursor"):
        kwargs["cursor"] = args["cursor"]
    return kwargs


@blp.route("/communities")
class Communities(MethodView):
    @blp.arguments(CommunityQuerySchema, location="query")
    @blp.response(200, CommunityPageSchema)
    def get(self, args):
        """The communities you may see (name substring, kind, visibility, yours only)"""
        return rpc.call("communities", "list_communities", **list_kwargs(args))

    @blp.arguments(CommunityCreateSchema)
    @blp.response(201, CommunitySchema)
    def post(self, data):
        """Create a community (employees); you become its first manager"""
        return rpc.call("communities", "create_community", **data)


@blp.route("/communities/<string:community_id>")
class Community(MethodView):
    @blp.response(200, CommunitySchema)
    def get(self, community_id):
        """A community (404 if absent or invisible to you)"""
        return rpc.call("communities", "get_community", community_id=community_id)

    @blp.arguments(CommunityUpdateSchema)
    @blp.response(200, CommunitySchema)
    def patch(self, changes, community_id):
        """Change a community's settings (managers, admins)"""
        return rpc.call("communities", "update_community", community_id=community_id, changes=changes)


@blp.route("/communities/<string:community_id>/archive")
class Archive(MethodView):
    @blp.response(200, CommunitySchema)
    def post(self, community_id):
        """Archive a community: read-only for everyone (managers, admins)"""
        return rpc.call("communities", "archive_community", community_id=community_id)


@blp.route("/communities/<string:community_id>/reopen")
class Reopen(MethodView):
    @blp.response(200, CommunitySchema)
    def post(self, community_id):
        """Reopen an archived community (managers, admins)"""
        return rpc.call("communities", "reopen_community", community_id=community_id)


@blp.route("/communities/<string:community_id>/join")
class Join(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id):
        """Join an open community (employees)"""
        return rpc.call("communities", "join_community", community_id=community_id)


@blp.route("/communities/<string:community_id>/leave")
class Leave(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id):
        """Leave a community (the last manager cannot)"""
        return rpc.call("communities", "leave_community", community_id=community_id)


@blp.route("/communities/<string:community_id>/members")
class Members(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, args, community_id):
        """Members, managers first, with the people's names"""
        kwargs = page_kwargs(args)
        kwargs["limit"] = args.get("limit", 50)
        page = rpc.call("communities", "list_members", community_id=community_id, **kwargs)
        return with_people(page, "user_id")


@blp.route("/communities/<string:community_id>/members/<string:user_id>")
class MemberItem(MethodView):
    @blp.response(200, OutcomeSchema)
    def delete(self, community_id, user_id):
        """Remove a member (managers, admins)"""
        return rpc.call("communities", "remove_member", community_id=community_id, user_id=user_id)


@blp.route("/communities/<string:community_id>/members/<string:user_id>/role")
class MemberRole(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(200, MemberSchema)
    def put(self, data, community_id, user_id):
        """Appoint a manager or step one down (managers, admins)"""
        return rpc.call(
            "communities", "set_member_role", community_id=community_id, user_id=user_id, role=data["role"]
        )


@blp.route("/communities/<string:community_id>/invitations")
class Invitations(MethodView):
    @blp.arguments(InviteSchema)
    @blp.response(201, CommunityInvitationSchema)
    def post(self, data, community_id):
        """Invite an employee or a guest of an allowed organisation (managers, admins)"""
        return rpc.call("communities", "invite", community_id=community_id, person_id=data["person_id"])


@blp.route("/me/invitations")
class MyInvitations(MethodView):
    @blp.response(200, CommunityInvitationListSchema)
    def get(self):
        """Your pending invitations to communities"""
        return rpc.call("communities", "my_invitations")


@blp.route("/me/invitations/<string:community_id>/accept")
class AcceptInvitation(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id):
        """Accept an invitation: you become a member"""
        return rpc.call("communities", "accept_invitation", community_id=community_id)


@blp.route("/me/invitations/<string:community_id>/decline")
class DeclineInvitation(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id):
        """Decline an invitation"""
        return rpc.call("communities", "decline_invitation", community_id=community_id)


@blp.route("/communities/<string:community_id>/join-requests")
class JoinRequests(MethodView):
    @blp.response(200, JoinRequestListSchema)
    def get(self, community_id):
        """Pending join requests, oldest first (managers, admins)"""
        page = rpc.call("communities", "list_join_requests", community_id=community_id)
        return with_people(page, "user_id")

    @blp.arguments(JoinRequestCreateSchema)
    @blp.response(201, JoinRequestSchema)
    def post(self, data, community_id):
        """Ask to join a private community (employees)"""
        return rpc.call(
            "communities", "request_to_join", community_id=community_id, message=data.get("message")
        )


@blp.route("/communities/<string:community_id>/join-requests/<string:user_id>/approve")
class ApproveJoinRequest(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id, user_id):
        """Approve a join request (managers, admins)"""
        return rpc.call("communities", "approve_join_request", community_id=community_id, user_id=user_id)


@blp.route("/communities/<string:community_id>/join-requests/<string:user_id>/refuse")
class RefuseJoinRequest(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id, user_id):
        """Refuse a join request (managers, admins)"""
        return rpc.call("communities", "refuse_join_request", community_id=community_id, user_id=user_id)
