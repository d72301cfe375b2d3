"""The notifications service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts import events as ev
from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

from .events import SCHEMAS as EVENTS

#: the events it turns into notifications (its read model of membership comes with
#: MEMBERSHIP_HANDLES; member_added also settles a pending invitation)
TOLD_BY = (
    (ev.FEED_POST_CREATED, "on_post_created"),
    (ev.FEED_POST_UPDATED, "on_post_updated"),
    (ev.FEED_POST_DELETED, "on_post_deleted"),
    (ev.FEED_COMMENT_CREATED, "on_comment_created"),
    (ev.FEED_COMMENT_UPDATED, "on_comment_updated"),
    (ev.FEED_COMMENT_DELETED, "on_comment_deleted"),
    (ev.FEED_POST_LIKED, "on_post_liked"),
    (ev.FEED_COMMENT_LIKED, "on_comment_liked"),
    (ev.FEED_ANSWER_ACCEPTED, "on_answer_accepted"),
    (ev.FEED_CONTENT_REPORTED, "on_content_reported"),
    (ev.FEED_CONTENT_HIDDEN, "on_content_hidden"),
    (ev.FEED_ANNOUNCEMENT_REMINDED, "on_announcement_reminded"),
    (ev.DOCUMENTS_DOCUMENT_CREATED, "on_document_created"),
    (ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, "on_document_version_added"),
    (ev.DOCUMENTS_DOCUMENT_DELETED, "on_document_deleted"),
    (ev.DOCUMENTS_PAGE_CREATED, "on_page_created"),
    (ev.DOCUMENTS_PAGE_UPDATED, "on_page_updated"),
    (ev.DOCUMENTS_PAGE_DELETED, "on_page_deleted"),
    (ev.COMMUNITIES_JOIN_REQUESTED, "on_join_requested"),
    (ev.COMMUNITIES_JOIN_APPROVED, "on_join_approved"),
    (ev.COMMUNITIES_JOIN_REFUSED, "on_join_refused"),
    (ev.COMMUNITIES_INVITATION_SENT, "on_invitation_sent"),
    (ev.IDENTITY_PASSWORD_RESET_REQUESTED, "on_password_reset_requested"),
    (ev.IDENTITY_PERSON_INVITED, "on_person_invited"),
)

SERVICE = ServicePlugin(
    name="notifications",
    service="services.notifications.service:NotificationsService",
    migrations="services.notifications:migrations",
    description="notifications: mentions, replies, likes, announcements, invitations, follows, e-mail",
    handles=(*MEMBERSHIP_HANDLES, *TOLD_BY, *PERSON_DATA_HANDLES),
    events=EVENTS,  # notifications.unread_changed (services/notifications/events.py)
    access_rules="services.notifications:authz_rules.yaml",
    person_data=True,
)
