"""The search service's declaration for the plug-in registry (plain data, no service code)."""

from parvis_contracts import events as ev
from parvis_contracts.plugins import MEMBERSHIP_HANDLES, PERSON_DATA_HANDLES, ServicePlugin

#: the events that keep the index current (its read model of membership comes with
#: MEMBERSHIP_HANDLES, whose four community state handlers index the community too; the
#: erasure of a person with PERSON_DATA_HANDLES)
INDEXED_FROM = (
    (ev.FEED_POST_CREATED, "on_post_created"),
    (ev.FEED_POST_UPDATED, "on_post_updated"),
    (ev.FEED_POST_DELETED, "on_post_deleted"),
    (ev.FEED_COMMENT_CREATED, "on_comment_created"),
    (ev.FEED_COMMENT_UPDATED, "on_comment_updated"),
    (ev.FEED_COMMENT_DELETED, "on_comment_deleted"),
    (ev.FEED_CONTENT_HIDDEN, "on_content_hidden"),
    (ev.FEED_CONTENT_RESTORED, "on_content_restored"),
    (ev.FEED_ANSWER_ACCEPTED, "on_answer_accepted"),
    (ev.DOCUMENTS_PAGE_CREATED, "on_page_created"),
    (ev.DOCUMENTS_PAGE_UPDATED, "on_page_updated"),
    (ev.DOCUMENTS_PAGE_DELETED, "on_page_deleted"),
    (ev.DOCUMENTS_DOCUMENT_CREATED, "on_document_created"),
    (ev.DOCUMENTS_DOCUMENT_VERSION_ADDED, "on_document_version_added"),
    (ev.DOCUMENTS_DOCUMENT_DELETED, "on_document_deleted"),
    (ev.DOCUMENTS_DOCUMENT_TEXT_EXTRACTED, "on_document_text_extracted"),
    (ev.IDENTITY_PROFILE_CHANGED, "on_profile_changed"),
    (ev.IDENTITY_ORGANISATION_CREATED, "on_organisation_created"),
    (ev.IDENTITY_ORGANISATION_UPDATED, "on_organisation_updated"),
)

SERVICE = ServicePlugin(
    name="search",
    service="services.search.service:SearchService",
    migrations="services.search:migrations",
    description="search: posts, comments, answers, pages, documents, people and communities, by what each "
    "viewer may read; the expertise finder",
    handles=(*MEMBERSHIP_HANDLES, *INDEXED_FROM, *PERSON_DATA_HANDLES),
    # GET /api/v1/search (gateway/api/search.py), /people/experts and /people/skills (experts.py)
    access_rules="services.search:authz_rules.yaml",
    person_data=True,
)
