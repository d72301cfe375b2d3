"""How a notification reads and where it leads: one wording for the web page and the e-mail.

The gateway's notifications page and the notifications service's mails say the same
thing of the same notification ("Lucia and 3 others liked your post") and lead to the same
page. Both call :func:`sentence` and :func:`target_path` with their own translations (an
object with ``gettext`` and ``ngettext``, as ``babel.support.Translations``); the words
live once, in ``parvis_contracts/translations/<lang>/notification-words.po``, which the
gateway merges into its catalogue and the service loads for its mails
(:func:`translations`).
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
CATALOG = "notification-words.po"


def catalogs(language: str) -> list[Path]:
    """The words' catalogue of ``language`` (none for English, the words themselves)."""
    path = TRANSLATIONS_DIR / language / CATALOG
    return [path] if path.is_file() else []


@cache
def translations(language: str, *more: Path) -> NullTranslations:
    """The words (and the catalogues ``more``, merged over them) in ``language``; English
    for a language without a catalogue."""
    merged = None
    for path in [*catalogs(language), *more]:
        if not path.is_file():
            continue
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        if merged is None:
            merged = catalog
        else:
            for message in catalog:
                if message.id:
                    merged[message.id] = message
    if merged is None:
        return NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def who(names: list[str | None], count: int, words) -> str:
    """ "Lucia", "Lucia and Marc", "Lucia and 3 others"; "someone" for a person the reader
    may not see or a former member. ``names``: the newest actors first."""
    shown = [name or words.gettext("someone") for name in names]
    count = max(count or 0, len(shown))
    if not shown:
        return ""
    if count == 1:
        return shown[0]
    if count == 2 and len(shown) >= 2:
        return words.gettext("%(first)s and %(second)s") % {"first": shown[0], "second": shown[1]}
    return words.gettext("%(first)s and %(count)s others") % {"first": shown[0], "count": count - 1}


#: kind -> (singular, plural) of what happened; "%(who)s" is :func:`who`
ACTED = {
    "mention": ("%(who)s mentioned you in a post", "%(who)s mentioned you in a post"),
    "like": ("%(who)s liked your post", "%(who)s liked your post"),
    "comment": ("%(who)s commented on a post you follow", "%(who)s commented on a post you follow"),
    "answer_accepted": ("%(who)s accepted your answer", "%(who)s accepted your answer"),
    "announcement": ("%(who)s published an announcement", "%(who)s published an announcement"),
    "announcement_reminder": (
        "%(who)s reminds you to read an announcement",
        "%(who)s remind you to read an announcement",
    ),
    "post": ("%(who)s posted", "%(who)s posted"),
    "document_version": (
        "%(who)s added a version of a document you follow",
        "%(who)s added a version of a document you follow",
    ),
    "page_updated": ("%(who)s updated a page you follow", "%(who)s updated a page you follow"),
    "join_request": ("%(who)s asked to join", "%(who)s asked to join"),
    "invitation": ("%(who)s invited you to join", "%(who)s invited you to join"),
}
#: the same, when the subject is a comment
ACTED_ON_COMMENT = {
    "mention": ("%(who)s mentioned you in a comment", "%(who)s mentioned you in a comment"),
    "like": ("%(who)s liked your comment", "%(who)s liked your comment"),
}
#: kinds told without actors
HAPPENED = {
    "content_reported": "Content was reported to the moderators",
    "join_approved": "Your request to join was approved",
    "join_refused": "Your request to join was declined",
}


def sentence(item: dict, names: list[str | None], words) -> str:
    """What happened, in the reader's language (the verb agrees with how many acted).
    ``item``: a notification as the service answers it; ``names``: its actors' names."""
    kind = item["kind"]
    if kind in HAPPENED:
        return words.gettext(HAPPENED[kind])
    forms = (ACTED_ON_COMMENT if item.get("subject_kind") == "comment" else {}).get(kind) or ACTED.get(kind)
    if forms is None:
        return words.gettext("Something new")
    count = max(item.get("actor_count") or 0, 1)
    return words.ngettext(*forms, count) % {"who": who(names, item.get("actor_count") or 0, words)}


def target_path(item: dict) -> str:
    """The gateway's page a notification leads to (a path from the site's root)."""
    kind, subject, community_id = item["kind"], item.get("subject_kind"), item["community_id"]
    if item.get("post_id") and kind != "post":
        return f"/posts/{item['post_id']}"
    if subject == "document":
        return f"/documents/{item['subject_id']}"
    if subject == "page":
        return f"/pages/{item['subject_id']}"
    if kind == "content_reported":
        return f"/communities/{community_id}/reports"
    if kind == "join_request":
        return f"/communities/{community_id}/manage"
    if kind == "invitation":
        return "/communities"
    return f"/communities/{community_id}"
