"""Stable ``operationId`` for every operation of the OpenAPI document.

A client generator names its functions after ``operationId`` (``create_community``
rather than ``post_api_v1_communities``), so the ids are part of the contract:
they are listed here, keyed by ``(METHOD, OpenAPI path)``, and never derived from
anything that a refactoring could change (view class names, endpoints).

Convention: lower camel case, ``^[a-z][A-Za-z0-9]+$``, a verb then the resource
(``list`` a collection, ``get`` one item, ``create`` / ``update`` / ``delete`` for
POST / PATCH / DELETE, ``set`` for a PUT of one attribute, the action's own verb for
an action: ``approveJoinRequest``, ``archiveCommunity``); unique in the document.

:class:`OperationIdPlugin` (an apispec plugin that ``ParvisApi`` adds to its spec)
fills the id of each operation from :data:`OPERATION_IDS` as the blueprint is
registered. An operation that already has one, given with
``@blp.doc(operationId="...")`` (how a plug-in's extension blueprint declares its
own), keeps it and is only checked. An operation without an id, an id not in the
convention, an id two operations share, or a declared id contradicting the table
raises :class:`OperationIdError` when the blueprint is registered, i.e. when the
gateway app is built.
"""

from __future__ import annotations

import re

from apispec import BasePlugin

ID_PATTERN = re.compile(r"^[a-z][A-Za-z0-9]+$")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
P = "/api/v1"

#: ``(METHOD, OpenAPI path)`` -> operationId, grouped by blueprint
OPERATION_IDS: dict[tuple[str, str], str] = {
    # auth
    ("POST", f"{P}/auth/sign-in"): "signIn",
    ("POST", f"{P}/auth/sign-out"): "signOut",
    ("GET", f"{P}/auth/session"): "getSession",
    ("GET", f"{P}/auth/invitations/{{token}}"): "getInvitation",
    ("POST", f"{P}/auth/invitations/{{token}}"): "acceptInvitation",
    ("POST", f"{P}/auth/password-reset"): "requestPasswordReset",
    ("GET", f"{P}/auth/password-reset/{{token}}"): "getPasswordReset",
    ("POST", f"{P}/auth/password-reset/{{token}}"): "resetPassword",
    # people
    ("GET", f"{P}/me"): "getMe",
    ("PATCH", f"{P}/me"): "updateMe",
    ("PUT", f"{P}/me/password"): "changePassword",
    ("GET", f"{P}/people"): "searchPeople",
    ("GET", f"{P}/people/{{person_id}}"): "getPerson",
    # photos
    ("PUT", f"{P}/me/photo"): "uploadMyPhoto",
    ("DELETE", f"{P}/me/photo"): "deleteMyPhoto",
    ("GET", f"{P}/people/{{person_id}}/photo"): "getPersonPhoto",
    # organisations
    ("GET", f"{P}/organisations"): "listOrganisations",
    ("POST", f"{P}/organisations"): "createOrganisation",
    ("PATCH", f"{P}/organisations/{{org_id}}"): "updateOrganisation",
    # admin
    ("GET", f"{P}/admin/people"): "adminListPeople",
    ("POST", f"{P}/admin/people"): "adminCreatePerson",
    ("POST", f"{P}/admin/people/{{person_id}}/deactivate"): "deactivatePerson",
    ("POST", f"{P}/admin/people/{{person_id}}/reactivate"): "reactivatePerson",
    ("PUT", f"{P}/admin/people/{{person_id}}/roles"): "setPersonRoles",
    ("PUT", f"{P}/admin/people/{{person_id}}/guest-expiry"): "setGuestExpiry",
    ("GET", f"{P}/admin/audit"): "listAuditLog",
    # communities
    ("GET", f"{P}/communities"): "listCommunities",
    ("POST", f"{P}/communities"): "createCommunity",
    ("GET", f"{P}/communities/{{community_id}}"): "getCommunity",
    ("PATCH", f"{P}/communities/{{community_id}}"): "updateCommunity",
    ("POST", f"{P}/communities/{{community_id}}/archive"): "archiveCommunity",
    ("POST", f"{P}/communities/{{community_id}}/reopen"): "reopenCommunity",
    ("POST", f"{P}/communities/{{community_id}}/join"): "joinCommunity",
    ("POST", f"{P}/communities/{{community_id}}/leave"): "leaveCommunity",
    ("GET", f"{P}/communities/{{community_id}}/members"): "listCommunityMembers",
    ("DELETE", f"{P}/communities/{{community_id}}/members/{{user_id}}"): "removeCommunityMember",
    ("PUT", f"{P}/communities/{{community_id}}/members/{{user_id}}/role"): "setCommunityMemberRole",
    ("POST", f"{P}/communities/{{community_id}}/invitations"): "inviteToCommunity",
    ("GET", f"{P}/me/invitations"): "listMyInvitations",
    ("POST", f"{P}/me/invitations/{{community_id}}/accept"): "acceptCommunityInvitation",
    ("POST", f"{P}/me/invitations/{{community_id}}/decline"): "declineCommunityInvitation",
    ("GET", f"{P}/communities/{{community_id}}/join-requests"): "listJoinRequests",
    ("POST", f"{P}/communities/{{community_id}}/join-requests"): "createJoinRequest",
    ("POST", f"{P}/communities/{{community_id}}/join-requests/{{user_id}}/approve"): "approveJoinRequest",
    ("POST", f"{P}/communities/{{community_id}}/join-requests/{{user_id}}/refuse"): "refuseJoinRequest",
    # feed
    ("GET", f"{P}/timeline"): "getTimeline",
    ("GET", f"{P}/communities/{{community_id}}/posts"): "listCommunityPosts",
    ("POST", f"{P}/communities/{{community_id}}/posts"): "createPost",
    ("GET", f"{P}/posts/{{post_id}}"): "getPost",
    ("PATCH", f"{P}/posts/{{post_id}}"): "updatePost",
    ("DELETE", f"{P}/posts/{{post_id}}"): "deletePost",
    ("GET", f"{P}/posts/{{post_id}}/versions"): "listPostVersions",
    ("POST", f"{P}/posts/{{post_id}}/like"): "likePost",
    ("DELETE", f"{P}/posts/{{post_id}}/like"): "unlikePost",
    ("POST", f"{P}/comments/{{comment_id}}/like"): "likeComment",
    ("DELETE", f"{P}/comments/{{comment_id}}/like"): "unlikeComment",
    ("GET", f"{P}/posts/{{post_id}}/likes"): "listPostLikes",
    ("GET", f"{P}/posts/{{post_id}}/comments"): "listPostComments",
    ("POST", f"{P}/posts/{{post_id}}/comments"): "createComment",
    ("PATCH", f"{P}/comments/{{comment_id}}"): "updateComment",
    ("DELETE", f"{P}/comments/{{comment_id}}"): "deleteComment",
    ("PUT", f"{P}/posts/{{post_id}}/accepted-answer"): "setAcceptedAnswer",
    ("POST", f"{P}/posts/{{post_id}}/read"): "markAnnouncementRead",
    ("GET", f"{P}/posts/{{post_id}}/reads"): "listAnnouncementReads",
    ("GET", f"{P}/hashtags/{{tag}}/posts"): "listHashtagPosts",
    ("GET", f"{P}/me/mentions"): "listMyMentions",
    ("GET", f"{P}/me/announcements"): "listMyUnreadAnnouncements",
    ("GET", f"{P}/communities/{{community_id}}/mentionable"): "listMentionablePeople",
    ("POST", f"{P}/reports"): "createReport",
    ("GET", f"{P}/communities/{{community_id}}/reports"): "listCommunityReports",
    ("POST", f"{P}/reports/{{report_id}}/resolve"): "resolveReport",
    # documents: folders, documents, versions, bin
    ("GET", f"{P}/communities/{{community_id}}/documents"): "listCommunityDocuments",
    ("POST", f"{P}/communities/{{community_id}}/documents"): "uploadDocument",
    ("POST", f"{P}/communities/{{community_id}}/folders"): "createFolder",
    ("GET", f"{P}/communities/{{community_id}}/folders/{{folder_id}}"): "getFolder",
    ("PATCH", f"{P}/folders/{{folder_id}}"): "updateFolder",
    ("DELETE", f"{P}/folders/{{folder_id}}"): "deleteFolder",
    ("GET", f"{P}/communities/{{community_id}}/bin"): "listCommunityBin",
    ("GET", f"{P}/documents/{{document_id}}"): "getDocument",
    ("PATCH", f"{P}/documents/{{document_id}}"): "updateDocument",
    ("DELETE", f"{P}/documents/{{document_id}}"): "deleteDocument",
    ("POST", f"{P}/documents/{{document_id}}/versions"): "uploadDocumentVersion",
    ("POST", f"{P}/documents/{{document_id}}/versions/{{number}}/restore"): "restoreDocumentVersion",
    ("POST", f"{P}/documents/{{document_id}}/restore"): "restoreDocument",
    ("GET", f"{P}/documents/{{document_id}}/download"): "downloadDocument",
    # documents: wiki pages
    ("GET", f"{P}/communities/{{community_id}}/pages"): "listCommunityPages",
    ("POST", f"{P}/communities/{{community_id}}/pages"): "createPage",
    ("GET", f"{P}/pages/{{page_id}}"): "getPage",
    ("PUT", f"{P}/pages/{{page_id}}"): "updatePage",
    ("DELETE", f"{P}/pages/{{page_id}}"): "deletePage",
    ("GET", f"{P}/pages/{{page_id}}/history"): "listPageRevisions",
    ("GET", f"{P}/pages/{{page_id}}/diff"): "getPageDiff",
    # translation
    ("POST", f"{P}/translations"): "translateContent",
    ("GET", f"{P}/translation/pairs"): "listTranslationPairs",
    ("GET", f"{P}/translation/glossary"): "listGlossaryTerms",
    ("POST", f"{P}/translation/glossary"): "createGlossaryTerm",
    ("PATCH", f"{P}/translation/glossary/{{term_id}}"): "updateGlossaryTerm",
    ("DELETE", f"{P}/translation/glossary/{{term_id}}"): "deleteGlossaryTerm",
    # community pictures
    ("GET", f"{P}/communities/{{community_id}}/picture"): "getCommunityPicture",
    ("PUT", f"{P}/communities/{{community_id}}/picture"): "uploadCommunityPicture",
    ("DELETE", f"{P}/communities/{{community_id}}/picture"): "deleteCommunityPicture",
    # privacy
    ("GET", f"{P}/me/export"): "exportMyData",
    ("POST", f"{P}/me/erase"): "eraseMe",
    ("POST", f"{P}/admin/people/{{person_id}}/erase"): "erasePerson",
    ("POST", f"{P}/posts/{{post_id}}/reminders"): "remindAnnouncement",
    # notifications
    ("GET", f"{P}/notifications"): "listNotifications",
    ("GET", f"{P}/notifications/unread-count"): "getUnreadNotificationCount",
    ("POST", f"{P}/notifications/{{notification_id}}/read"): "markNotificationRead",
    ("POST", f"{P}/notifications/read-all"): "markAllNotificationsRead",
    ("GET", f"{P}/notifications/mail-preferences"): "getMailPreferences",
    ("PUT", f"{P}/notifications/mail-preferences"): "setMailPreferences",
    ("POST", f"{P}/notifications/unsubscribe/{{token}}"): "unsubscribeFromMail",
    ("GET", f"{P}/follows/{{target_kind}}/{{target_id}}"): "getFollow",
    ("PUT", f"{P}/follows/{{target_kind}}/{{target_id}}"): "setFollow",
    ("GET", f"{P}/communities/{{community_id}}/notification-level"): "getCommunityNotificationLevel",
    ("PUT", f"{P}/communities/{{community_id}}/notification-level"): "setCommunityNotificationLevel",
    # search
    ("GET", f"{P}/search"): "searchContent",
    # the expertise finder (gateway/api/experts.py)
    ("GET", f"{P}/people/experts"): "findExperts",
    ("GET", f"{P}/people/skills"): "suggestSkills",
}


class OperationIdError(ValueError):
    """An operation without an id, with a malformed one, or sharing one."""


def _where(method: str, path: str, endpoint: str | None) -> str:
    return f"{method.upper()} {path}" + (f" (endpoint {endpoint})" if endpoint else "")


def check_id(operation_id, method: str, path: str, endpoint: str | None = None) -> str:
    if not isinstance(operation_id, str) or not ID_PATTERN.fullmatch(operation_id):
        raise OperationIdError(
            f"{_where(method, path, endpoint)}: operationId {operation_id!r} does not match "
            f"{ID_PATTERN.pattern} (lower camel case, e.g. 'listCommunityPosts')"
        )
    return operation_id


class OperationIdPlugin(BasePlugin):
    """Fills and checks ``operationId`` as each path is added to the spec."""

    def __init__(self, table: dict[tuple[str, str], str] | None = None):
        self.table = OPERATION_IDS if table is None else table
        #: operationId -> (METHOD, path) of the operation that has it
        self.owners: dict[str, tuple[str, str]] = {}

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        endpoint = getattr(rule, "endpoint", None)
        for method, operation in (operations or {}).items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            key = (method.upper(), path)
            listed = self.table.get(key)
            declared = operation.get("operationId")
            if declared is not None and listed is not None and declared != listed:
                raise OperationIdError(
                    f"{_where(method, path, endpoint)} declares operationId {declared!r} "
                    f"but gateway/api/openapi_ids.py lists {listed!r}: keep one"
                )
            operation_id = declared if declared is not None else listed
            if operation_id is None:
                raise OperationIdError(
                    f"{_where(method, path, endpoint)} has no operationId: declare one with "
                    "@blp.doc(operationId='verbResource') (extension blueprints) or add it "
                    "to OPERATION_IDS in gateway/api/openapi_ids.py"
                )
            check_id(operation_id, method, path, endpoint)
            owner = self.owners.setdefault(operation_id, key)
            if owner != key:
                raise OperationIdError(
                    f"{_where(method, path, endpoint)}: operationId {operation_id!r} is "
                    f"already the id of {owner[0]} {owner[1]}"
                )
            operation["operationId"] = operation_id


def spec_problems(spec: dict) -> list[str]:
    """What is wrong with the operation ids of a spec dict (empty: nothing)."""
    problems, owners = [], {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation_id = operation.get("operationId")
            where = f"{method.upper()} {path}"
            if operation_id is None:
                problems.append(f"{where}: no operationId")
                continue
            try:
                check_id(operation_id, method, path)
            except OperationIdError as exc:
                problems.append(str(exc))
            if operation_id in owners:
                problems.append(f"{where}: operationId {operation_id!r} also on {owners[operation_id]}")
            owners.setdefault(operation_id, where)
    return problems


def unused_entries(spec: dict, table: dict[tuple[str, str], str] | None = None) -> list:
    """Entries of the table naming no operation of ``spec`` (a route renamed or gone)."""
    table = OPERATION_IDS if table is None else table
    present = {
        (method.upper(), path)
        for path, item in spec.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    }
    return sorted(key for key in table if key not in present)
