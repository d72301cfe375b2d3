"""The limits of the notifications service, written once."""

#: notification kinds: the content of a community (``CONTENT_KINDS``: shown only while the
#: recipient may read it), the community's managers' (``MANAGER_KINDS``: while they manage
#: it) and a person's own membership (``PERSONAL_KINDS``: about them, always shown)
CONTENT_KINDS = (
    "mention",
    "comment",
    "like",
    "answer_accepted",
    "announcement",
    "announcement_reminder",
    "post",
    "document_version",
    "page_updated",
)
MANAGER_KINDS = ("join_request", "content_reported")
PERSONAL_KINDS = ("invitation", "join_approved", "join_refused")
KINDS = CONTENT_KINDS + MANAGER_KINDS + PERSONAL_KINDS

#: what a notification is about
SUBJECT_KINDS = ("post", "comment", "page", "document", "community")
#: what a person may follow (a whole community is followed with its level: "all")
FOLLOWABLE = ("post", "page", "document")

#: per community: every new post / mentions, announcements and what I follow / nothing
LEVELS = ("all", "highlights", "none")
DEFAULT_LEVEL = "highlights"

#: the newest actors kept on a grouped notification (the page shows two and "N others")
ACTORS_SHOWN = 3
#: rows written per statement when a post reaches a whole community
FAN_OUT_BATCH = 1000
PAGE_MAX = 100
