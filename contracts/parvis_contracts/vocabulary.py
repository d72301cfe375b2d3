"""The platform's words, written once: the kinds, visibilities and roles every side names.

A service's models and schemas, the event payload schemas, the gateway's API schemas and
its pages all read these tuples; none keeps a copy (``tests/contracts/test_schema_drift.py``
would notice a drift in the API's choices, this module makes one impossible to write).
Plain tuples only: each side builds its own validators and its own translated labels.
"""

from __future__ import annotations

# --- communities -------------------------------------------------------------------

#: what a community is for
COMMUNITY_KINDS = ("team", "project", "support", "ideas", "trade", "interest")
#: open: every employee reads it; private: members only, its name listed; secret: unlisted
COMMUNITY_VISIBILITIES = ("open", "private", "secret")
#: a person's role in a community
MEMBER_ROLES = ("member", "manager")

# --- people and organisations -------------------------------------------------------

#: a person's network-wide roles
PERSON_ROLES = ("admin", "global_community_manager", "member")
#: who sees an optional profile field (birth date, education, phone)
FIELD_VISIBILITIES = ("everyone", "employees", "private")
#: the host company and the kinds of partner organisation it invites
ORG_KINDS = ("host", "partner", "supplier", "subcontractor", "reseller", "customer")

# --- the wall -------------------------------------------------------------------------

POST_KINDS = ("message", "question", "announcement")

# --- documents ------------------------------------------------------------------------

#: what became of the text inside a document's version (``documents.document_text_extracted``):
#: read whole, read and cut at the cap, no text in it, beyond a cap (bytes, unpacked bytes,
#: pages, memory), a type whose text is not read, could not be read (corrupt, encrypted,
#: too slow); all but the first two leave the document found by its name only
DOCUMENT_TEXT_STATUSES = ("extracted", "truncated", "empty", "too_large", "unsupported", "failed")

# --- notifications --------------------------------------------------------------------

#: what a notification tells: of a community's content (shown while the recipient may read
#: it), to its managers (while they manage it), of a person's own membership (always theirs)
NOTIFICATION_CONTENT_KINDS = (
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
NOTIFICATION_MANAGER_KINDS = ("join_request", "content_reported")
NOTIFICATION_PERSONAL_KINDS = ("invitation", "join_approved", "join_refused")
NOTIFICATION_KINDS = NOTIFICATION_CONTENT_KINDS + NOTIFICATION_MANAGER_KINDS + NOTIFICATION_PERSONAL_KINDS
#: how much a member hears of a community: every new post / the highlights / nothing
NOTIFICATION_LEVELS = ("all", "highlights", "none")
#: how often a person hears of a kind of notification by e-mail
MAIL_FREQUENCIES = ("immediately", "daily", "weekly", "never")
#: the frequency of each kind until the person chooses: what concerns them directly at
#: once, the life of what they follow in the daily digest
MAIL_DEFAULT_FREQUENCY = {
    "mention": "immediately",
    "comment": "immediately",
    "like": "daily",
    "answer_accepted": "immediately",
    "announcement": "immediately",
    "announcement_reminder": "immediately",
    "post": "daily",
    "document_version": "daily",
    "page_updated": "daily",
    "join_request": "immediately",
    "content_reported": "immediately",
    "invitation": "immediately",
    "join_approved": "immediately",
    "join_refused": "immediately",
}
#: what a mail may carry of the content: its text, or only what it is and a link
MAIL_CONTENT_POLICIES = ("text", "title")

# --- search ---------------------------------------------------------------------------

#: what the search finds, one kind each (a tab of the results page, the API's `kinds`)
SEARCH_KINDS = ("post", "comment", "page", "document", "person", "community")
#: the kinds written in a community's conversation or bank (the evidence of expertise)
SEARCH_CONTENT_KINDS = ("post", "comment", "page", "document")
#: why the expertise finder lists someone: a declared skill, then what they wrote on it
#: that the viewer may read (each with its count)
EXPERT_REASONS = ("skill", "accepted_answers", "posts", "comments", "pages", "documents")
#: how a search snippet marks each match (start, end): two code points of Unicode's private
#: use area that the search service takes out of every text it indexes, so only it writes
#: them; the gateway escapes the snippet, then turns each pair into its highlighting
SEARCH_MARKS = ("\ue000", "\ue001")

# --- agenda ---------------------------------------------------------------------------

#: an answer to an event's invitation (RSVP): going, maybe, not going
RSVP_STATUSES = ("going", "maybe", "not_going")
