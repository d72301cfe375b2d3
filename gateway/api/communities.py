"""``/api/v1/communities`` and ``/api/v1/me/invitations``: communities and their members."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..calls import communities
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


@blp.route("/communities")
class Communities(MethodView):
    @blp.arguments(CommunityQuerySchema, location="query")
    @blp.response(200, CommunityPageSchema)
    def get(self, args):
        """The communities you may see (name substring, kind, visibility, yours only)"""
        return communities.list_communities(args)

    @blp.arguments(CommunityCreateSchema)
    @blp.response(201, CommunitySchema)
    def post(self, data):
        """Create a community (employees); you become its first manager"""
        return communities.create_community(**data)


@blp.route("/communities/<string:community_id>")
class Community(MethodView):
    @blp.response(200, CommunitySchema)
    def get(self, community_id):
        """A community (404 if absent or invisible to you)"""
        return communities.get_community(community_id)

    @blp.arguments(CommunityUpdateSchema)
    @blp.response(200, CommunitySchema)
    def patch(self, changes, community_id):
        """Change a community's settings (managers, admins)"""
        return communities.update_community(community_id, changes)


@blp.route("/communities/<string:community_id>/archive")
class Archive(MethodView):
    @blp.response(200, CommunitySchema)
    def post(self, community_id):
        """Archive a community: read-only for everyone (managers, admins)"""
        return communities.archive_community(community_id)


@blp.route("/communities/<string:community_id>/reopen")
class Reopen(MethodView):
    @blp.response(200, CommunitySchema)
    def post(self, community_id):
        """Reopen an archived community (managers, admins)"""
        return communities.reopen_community(community_id)


@blp.route("/communities/<string:community_id>/join")
class Join(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id):
        """Join an open community (employees)"""
        return communities.join_community(community_id)


@blp.route("/communities/<string:community_id>/leave")
class Leave(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id):
        """Leave a community (the last manager cannot)"""
        return communities.leave_community(community_id)


@blp.route("/communities/<string:community_id>/members")
class Members(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    def get(self, args, community_id):
        """Members, managers first, with the people's names"""
        return with_people(communities.list_members(community_id, args), "user_id")


@blp.route("/communities/<string:community_id>/members/<string:user_id>")
class MemberItem(MethodView):
    @blp.response(200, OutcomeSchema)
    def delete(self, community_id, user_id):
        """Remove a member (managers, admins)"""
        return communities.remove_member(community_id, user_id)


@blp.route("/communities/<string:community_id>/members/<string:user_id>/role")
class MemberRole(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(200, MemberSchema)
    def put(self, data, community_id, user_id):
        """Appoint a manager or step one down (managers, admins)"""
        return communities.set_member_role(community_id, user_id, data["role"])


@blp.route("/communities/<string:community_id>/invitations")
class Invitations(MethodView):
    @blp.arguments(InviteSchema)
    @blp.response(201, CommunityInvitationSchema)
    def post(self, data, community_id):
        """Invite an employee or a guest of an allowed organisation (managers, admins)"""
        return communities.invite(community_id, data["person_id"])


@blp.route("/me/invitations")
class MyInvitations(MethodView):
    @blp.response(200, CommunityInvitationListSchema)
    def get(self):
        """Your pending invitations to communities"""
        return communities.my_invitations()


@blp.route("/me/invitations/<string:community_id>/accept")
class AcceptInvitation(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id):
        """Accept an invitation: you become a member"""
        return communities.accept_invitation(community_id)


@blp.route("/me/invitations/<string:community_id>/decline")
class DeclineInvitation(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id):
        """Decline an invitation"""
        return communities.decline_invitation(community_id)


@blp.route("/communities/<string:community_id>/join-requests")
class JoinRequests(MethodView):
    @blp.response(200, JoinRequestListSchema)
    def get(self, community_id):
        """Pending join requests, oldest first (managers, admins)"""
        return with_people(communities.list_join_requests(community_id), "user_id")

    @blp.arguments(JoinRequestCreateSchema)
    @blp.response(201, JoinRequestSchema)
    def post(self, data, community_id):
        """Ask to join a private community (employees)"""
        return communities.request_to_join(community_id, data.get("message"))


@blp.route("/communities/<string:community_id>/join-requests/<string:user_id>/approve")
class ApproveJoinRequest(MethodView):
    @blp.response(200, MemberSchema)
    def post(self, community_id, user_id):
        """Approve a join request (managers, admins)"""
        return communities.approve_join_request(community_id, user_id)


@blp.route("/communities/<string:community_id>/join-requests/<string:user_id>/refuse")
class RefuseJoinRequest(MethodView):
    @blp.response(200, OutcomeSchema)
    def post(self, community_id, user_id):
        """Refuse a join request (managers, admins)"""
        return communities.refuse_join_request(community_id, user_id)
