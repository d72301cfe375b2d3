"""The limits of the notifications service, written once."""

from parvis_contracts import vocabulary

#: notification kinds (the platform's words: ``parvis_contracts.vocabulary``)
CONTENT_KINDS = vocabulary.NOTIFICATION_CONTENT_KINDS
MANAGER_KINDS = vocabulary.NOTIFICATION_MANAGER_KINDS
PERSONAL_KINDS = vocabulary.NOTIFICATION_PERSONAL_KINDS
KINDS = vocabulary.NOTIFICATION_KINDS

#: what a notification is about
SUBJECT_KINDS = ("post", "comment", "page", "document", "community")
#: what a person may follow (a whole community is followed with its level: "all")
FOLLOWABLE = ("post", "page", "document")

#: per community: every new post / mentions, announcements and what I follow / nothing
LEVELS = vocabulary.NOTIFICATION_LEVELS
DEFAULT_LEVEL = "highlights"

#: the newest actors kept on a grouped notification (the page shows two and "N others")
ACTORS_SHOWN = 3
#: rows written per statement when a post reaches a whole community
FAN_OUT_BATCH = 1000
PAGE_MAX = 100

#: how often a person hears of a kind by e-mail (and each kind's default)
MAIL_FREQUENCIES = vocabulary.MAIL_FREQUENCIES
#: characters of a content's text kept for the mails (they quote less: compose.EXCERPT)
EXCERPT_KEPT = 600
