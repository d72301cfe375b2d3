"""Communities, as the gateway asks it: the directory, settings, membership, invitations
and join requests (one function per operation, see :mod:`gateway.calls`)."""

from __future__ import annotations

from . import operations, page_kwargs

operation = operations("communities")


# --- the directory and one community ----------------------------------------------------


@operation
def list_communities(args: dict) -> dict:
    """The directory from its query arguments (``CommunityQuerySchema``)."""
    kwargs = {"limit": args.get("limit", 20), "mine": bool(args.get("mine"))}
    for name in ("query", "kind", "visibility", "cursor"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


@operation
def create_community(**fields) -> dict:
    """``name``, ``kind``, ``visibility``, ``description``, ``languages``..."""
    return fields


@operation
def get_community(community_id: str) -> dict:
    """The community's card (404 if absent or invisible to the caller)."""
    return {"community_id": community_id}


@operation
def update_community(community_id: str, changes: dict) -> dict:
    return {"community_id": community_id, "changes": changes}


@operation
def archive_community(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def reopen_community(community_id: str) -> dict:
    return {"community_id": community_id}


# --- membership -------------------------------------------------------------------------


@operation
def list_members(community_id: str, args: dict) -> dict:
    return {"community_id": community_id, **page_kwargs(args, default_limit=50)}


@operation
def join_community(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def leave_community(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def set_member_role(community_id: str, user_id: str, role: str) -> dict:
    return {"community_id": community_id, "user_id": user_id, "role": role}


@operation
def remove_member(community_id: str, user_id: str) -> dict:
    return {"community_id": community_id, "user_id": user_id}


# --- invitations ------------------------------------------------------------------------


@operation
def invite(community_id: str, person_id: str) -> dict:
    return {"community_id": community_id, "person_id": person_id}


@operation
def memberships_of() -> dict:
    """The caller's own memberships, each with its community's card."""
    return {}


@operation
def communities_of(person_id: str) -> dict:
    """A person's communities that the caller may see them in (their profile)."""
    return {"person_id": person_id}


@operation
def my_invitations() -> dict:
    return {}


@operation
def accept_invitation(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def decline_invitation(community_id: str) -> dict:
    return {"community_id": community_id}


# --- join requests ----------------------------------------------------------------------


@operation
def request_to_join(community_id: str, message: str | None) -> dict:
    return {"community_id": community_id, "message": message}


@operation
def list_join_requests(community_id: str) -> dict:
    return {"community_id": community_id}


@operation
def approve_join_request(community_id: str, user_id: str) -> dict:
    return {"community_id": community_id, "user_id": user_id}


@operation
def refuse_join_request(community_id: str, user_id: str) -> dict:
    return {"community_id": community_id, "user_id": user_id}
