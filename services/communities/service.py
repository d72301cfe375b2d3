"""Entrypoints of the communities service: load input, authorise, delegate, dump output.

The rules live in ``access`` (who sees what), ``communities`` (settings, archive
state, directory) and ``membership`` (joining, invitations, requests, managers).
The RPC interface is documented in docs/services/communities.md.
"""

from __future__ import annotations

from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, RpcProxy, dump, rpc, transactional
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.metrics import Metrics
from parvis_contracts.people import visible_card
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import communities, membership, privacy
from . import schemas as s
from .access import require_caller
from .models import metadata


class CommunitiesService(PersonDataEntrypoints, PlatformEntrypoints):
    name = "communities"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    identity = RpcProxy("identity")

    def _caller(self):
        return require_caller(self.caller)

    def _card(self, person_id):
        """The person's identity card as the caller may see it, or None."""
        return visible_card(self.identity, person_id)

    # --- communities ---------------------------------------------------------

    @rpc
    @transactional
    def create_community(
        self,
        name,
        kind,
        visibility="open",
        description="",
        languages=None,
        picture=None,
        newcomers_see_history=True,
        allowed_org_ids=None,
    ):
        raw = {
            "name": name,
            "kind": kind,
            "visibility": visibility,
            "description": description,
            "picture": picture,
            "newcomers_see_history": newcomers_see_history,
        }
        if languages is not None:
            raw["languages"] = languages
        if allowed_org_ids is not None:
            raw["allowed_org_ids"] = allowed_org_ids
        data = load(s.CreateSchema(), raw)
        return dump(s.CommunitySchema, communities.create(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def get_community(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.CommunitySchema, communities.get(self.db, self._caller(), **data))

    @rpc
    @transactional
    def update_community(self, community_id, changes):
        data = load(s.UpdateSchema(), {"community_id": community_id, "changes": changes})
        return dump(s.CommunitySchema, communities.update(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def archive_community(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.CommunitySchema, communities.archive(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def reopen_community(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.CommunitySchema, communities.reopen(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def list_communities(self, query=None, kind=None, visibility=None, mine=False, limit=20, cursor=None):
        data = load(
            s.ListSchema(),
            {
                "query": query,
                "kind": kind,
                "visibility": visibility,
                "mine": mine,
                "limit": limit,
                "cursor": cursor,
            },
        )
        return dump(s.CommunityPageSchema, communities.listing(self.db, self._caller(), **data))

    # --- membership ----------------------------------------------------------

    @rpc
    @transactional
    def list_members(self, community_id, limit=50, cursor=None):
        data = load(s.MembersInputSchema(), {"community_id": community_id, "limit": limit, "cursor": cursor})
        return dump(s.MemberPageSchema, membership.members(self.db, self._caller(), **data))

    @rpc
    @transactional
    def memberships_of(self, user_id=None):
        data = load(s.MembershipsOfSchema(), {"user_id": user_id})
        items = membership.memberships_of(self.db, self._caller(), **data)
        return {"items": dump(s.MembershipOfSchema, items, many=True)}

    @rpc
    @transactional
    def communities_of(self, person_id):
        """A person's communities the caller may see them in (a profile's communities)."""
        data = load(s.CommunitiesOfSchema(), {"person_id": person_id})
        items = membership.communities_of(self.db, self._caller(), **data)
        return {"items": dump(s.MembershipOfSchema, items, many=True)}

    @rpc
    @transactional
    def join_community(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(s.MemberSchema, membership.join(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def leave_community(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return membership.leave(self.db, self._caller(), **data)

    @rpc
    @transactional
    def request_to_join(self, community_id, message=None):
        data = load(s.JoinRequestInputSchema(), {"community_id": community_id, "message": message})
        return dump(
            s.JoinRequestSchema, membership.request_to_join(self.db, self._caller(), self.clock(), **data)
        )

    @rpc
    @transactional
    def list_join_requests(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        items = membership.list_requests(self.db, self._caller(), **data)
        return {"items": dump(s.JoinRequestSchema, items, many=True)}

    @rpc
    @transactional
    def approve_join_request(self, community_id, user_id):
        data = load(s.UserInCommunitySchema(), {"community_id": community_id, "user_id": user_id})
        return dump(s.MemberSchema, membership.approve_request(self.db, self._caller(), self.clock(), **data))

    @rpc
    @transactional
    def refuse_join_request(self, community_id, user_id):
        data = load(s.UserInCommunitySchema(), {"community_id": community_id, "user_id": user_id})
        return membership.refuse_request(self.db, self._caller(), **data)

    @rpc
    @transactional
    def invite(self, community_id, person_id):
        data = load(s.PersonInCommunitySchema(), {"community_id": community_id, "person_id": person_id})
        return dump(
            s.InvitationSchema,
            membership.invite(self.db, self._caller(), self.clock(), lookup_card=self._card, **data),
        )

    @rpc
    @transactional
    def my_invitations(self):
        items = membership.my_invitations(self.db, self._caller())
        return {"items": dump(s.InvitationSchema, items, many=True)}

    @rpc
    @transactional
    def accept_invitation(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return dump(
            s.MemberSchema, membership.accept_invitation(self.db, self._caller(), self.clock(), **data)
        )

    @rpc
    @transactional
    def decline_invitation(self, community_id):
        data = load(s.CommunityIdSchema(), {"community_id": community_id})
        return membership.decline_invitation(self.db, self._caller(), **data)

    @rpc
    @transactional
    def remove_member(self, community_id, user_id):
        data = load(s.UserInCommunitySchema(), {"community_id": community_id, "user_id": user_id})
        return membership.remove(self.db, self._caller(), **data)

    @rpc
    @transactional
    def set_member_role(self, community_id, user_id, role):
        data = load(s.SetRoleSchema(), {"community_id": community_id, "user_id": user_id, "role": role})
        return dump(s.MemberSchema, membership.set_role(self.db, self._caller(), **data))
