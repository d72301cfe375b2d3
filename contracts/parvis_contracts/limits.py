"""The limits of the platform's input fields, written once.

A service's boundary schema (``services/<name>/schemas.py``) and the gateway's API schema
(``gateway/api/schemas.py``, which the OpenAPI document is made from) build their
validators from these numbers, so the API reference states what the service really
accepts. ``tests/contracts/test_schema_drift.py`` compares both sides field by field.

Plain numbers and tuples only: each side makes its own validators (and messages).
"""

from __future__ import annotations

from . import vocabulary

#: an id given by a service (a UUID today; never longer than this)
ID_MAX = 64

# --- identity ----------------------------------------------------------------------

DISPLAY_NAME_MAX = 120
JOB_TITLE_MAX = 120
DEPARTMENT_MAX = 120
ABOUT_MAX = 2000
EDUCATION_MAX = 500
PHONE_MAX = 40
#: what a phone number may contain
PHONE_PATTERN = r"^[0-9 +\-()]*$"
SKILLS_MAX, SKILL_MAX = 30, 40
#: the languages a person speaks
PERSON_LANGUAGES_MAX = 50
#: the languages a person may prefer (interface and translations)
PREFERRED_LANGUAGES = ("fr", "en", "es", "de", "it", "pt", "ca")
EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # argon2 hashes anything, but a megabyte password is an attack
ROLE_NAMES = vocabulary.PERSON_ROLES
#: a list of roles (each at most twice: duplicates are merged)
ROLES_MAX = len(ROLE_NAMES) * 2
ORGANISATION_NAME_MAX = 200
#: the directory's words of a name
PEOPLE_QUERY_MAX = DISPLAY_NAME_MAX
#: the administrators' list: words of a name or an e-mail address
ADMIN_PEOPLE_QUERY_MAX = EMAIL_MAX

# --- communities -------------------------------------------------------------------

#: after collapsing blanks
COMMUNITY_NAME_MIN, COMMUNITY_NAME_MAX = 3, 80
COMMUNITY_QUERY_MAX = COMMUNITY_NAME_MAX
COMMUNITY_DESCRIPTION_MAX = 2000
COMMUNITY_LANGUAGES_MAX = 30
COMMUNITY_ORGS_MAX = 200
#: above this many members, only a manager may mention the whole community (@community)
COMMUNITY_MENTION_FREE_MAX = 50
#: what the mention picker sends (the letters typed after @) and how many people it offers
MENTION_QUERY_MAX = 60
MENTION_SUGGESTIONS_MAX = 10
#: pasted handles (@first.last) one text may resolve into mentions
MENTION_HANDLES_MAX = 20
PICTURE_MAX = 200
JOIN_MESSAGE_MAX = 500

# --- feed --------------------------------------------------------------------------

POST_BODY_MAX = 20_000
ATTACHMENTS_MAX = 10
REPORT_REASON_MAX = 1000

# --- documents ---------------------------------------------------------------------

PAGE_TITLE_MAX = 200
PAGE_BODY_MAX = 100_000
VERSION_COMMENT_MAX = 1000
#: characters of a document's text an event may carry (``documents.document_text_extracted``;
#: the documents service keeps ``PARVIS_DOCUMENTS_TEXT_MAX_CHARS`` of them, at most this)
DOCUMENT_TEXT_MAX = 1_000_000
# a file or folder name: ``parvis_contracts.filetypes.MAX_NAME_LENGTH``

# --- translation -------------------------------------------------------------------

TERM_MAX = 200
TERM_NOTE_MAX = 500
GLOSSARY_PAGE_MAX = 500
GLOSSARY_CURSOR_MAX = 600

# --- search ------------------------------------------------------------------------

#: characters of a search query (beyond: 422, not a truncation the person would not see)
SEARCH_QUERY_MAX = 200
#: words of a search query, phrases and exclusions included (beyond: 422)
SEARCH_QUERY_WORDS_MAX = 16
#: results of one page of a search
SEARCH_PAGE_MAX = 100
#: what the expertise finder is asked about: a skill, as long as a profile's skill may be
EXPERT_SKILL_MAX = SKILL_MAX
#: people of one page of the expertise finder
EXPERTS_PAGE_MAX = 50
#: the start of a skill typed for suggestions, and how many come back
SKILL_PREFIX_MAX = SKILL_MAX
SKILL_SUGGESTIONS_MAX = 20

# --- agenda ------------------------------------------------------------------------

EVENT_TITLE_MAX = 200
EVENT_DESCRIPTION_MAX = 20_000
EVENT_PLACE_MAX = 500
#: an online link (http or https only)
EVENT_URL_MAX = 2000
#: an event's programme: sessions (time, title, speaker)
EVENT_SESSIONS_MAX = 50
EVENT_SESSION_TITLE_MAX = 200
EVENT_SPEAKER_MAX = 200
EVENT_CAPACITY_MAX = 100_000
#: the people an event names at once: its organisers, its invitees (one call)
EVENT_ORGANISERS_MAX = 50
EVENT_INVITEES_MAX = 500
#: the longest an event (one occurrence) may last, in days
EVENT_DURATION_MAX_DAYS = 31
#: a recurrence rule (RFC 5545 RRULE) as text, its exceptions (EXDATE), and the most dates
#: it may expand to within the expansion window (beyond: 422, never a truncation)
EVENT_RRULE_MAX = 300
EVENT_EXCEPTIONS_MAX = 200
EVENT_OCCURRENCES_MAX = 1000
#: how far after its start a rule without an end is expanded (the agenda's window)
EVENT_EXPANSION_DAYS = 730
EVENT_CANCEL_REASON_MAX = 1000
RSVP_NOTE_MAX = 500
#: items of one page of an agenda
AGENDA_PAGE_MAX = 200
#: calendar feeds (secret links) one person may hold
CALENDAR_FEEDS_MAX = 20
