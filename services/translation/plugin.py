"""The translation service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts import events as ev
from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

SERVICE = ServicePlugin(
    name="translation",
    service="services.translation.service:TranslationService",
    migrations="services.translation:migrations",
    description="language detection, translation backends, cache, glossaries",
    handles=(
        # cached translations of edited or deleted content are dropped
        (ev.FEED_POST_UPDATED, "on_post_updated"),
        (ev.FEED_POST_DELETED, "on_post_deleted"),
        (ev.FEED_COMMENT_UPDATED, "on_comment_updated"),
        (ev.FEED_COMMENT_DELETED, "on_comment_deleted"),
        # new content is pre-translated into the languages of the community's members
        (ev.FEED_POST_CREATED, "on_post_created"),
        (ev.FEED_COMMENT_CREATED, "on_comment_created"),
        (ev.DOCUMENTS_PAGE_CREATED, "on_page_created"),
        (ev.DOCUMENTS_PAGE_UPDATED, "on_page_updated"),
        (ev.DOCUMENTS_PAGE_DELETED, "on_page_deleted"),
        (ev.IDENTITY_USER_CREATED, "on_user_created"),
        (ev.IDENTITY_USER_LANGUAGE_CHANGED, "on_user_language_changed"),
        *MEMBERSHIP_HANDLES,
        *PERSON_DATA_HANDLES,
    ),
    # a worker holds an engine call for tens of milliseconds to seconds
    max_workers=4,
    person_data=True,
)
