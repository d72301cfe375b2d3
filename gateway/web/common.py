"""What every area of the web UI shares: the blueprints, reading forms and query
arguments, the checks of who may see a page, and the template globals.

The blueprints are the endpoint namespaces the templates' ``url_for`` name (``web.home``,
``community.page``, ``wall.post_page``); a module per area registers its pages on them.
Nothing here asks a service: pages ask through :mod:`gateway.calls`.
"""

from __future__ import annotations

from babel import Locale
from flask import Blueprint, g, request, url_for
from marshmallow import ValidationError

from parvis_contracts import limits
from parvis_contracts.errors import Forbidden
from parvis_contracts.schemas import COUNTRIES, LANGUAGES

from .. import auth, i18n, live
from ..api.schemas import VISIBILITY_CHOICES
from ..calls.identity import invitation_url

#: the account pages: home, sign-in, profiles, the directory, administration of people
web = Blueprint("web", __name__)
#: communities: the directory, a community's page, members, management, the composer
community_web = Blueprint("community", __name__)
#: the wall beyond a community's page: a post on its own, edits, reports, lists, settings
wall_web = Blueprint("wall", __name__)


# ------------------------------------------------------------------ reading a request


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``/people`` yes, ``//evil.example`` or ``http://...`` no."""
    if not target or not isinstance(target, str):
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def back(default: str) -> str:
    """Where a form asks to go back to (``next``), if it is on this site."""
    return safe_next(request.form.get("next"), default)


def split_list(text: str | None) -> list[str]:
    """``"python, SQL ,,go"`` -> ``["python", "SQL", "go"]`` (order kept, duplicates dropped)."""
    seen, items = set(), []
    for part in (text or "").replace(";", ",").split(","):
        value = part.strip()
        if value and value.lower() not in seen:
            seen.add(value.lower())
            items.append(value)
    return items


def languages_from_form(form, name: str = "languages") -> list[str]:
    """The language codes of a list field (a multiple select sends one value per choice; a
    value with commas, as an older form or a script may send, is split too)."""
    return [code.lower() for code in split_list(",".join(form.getlist(name)))]


# ------------------------------------------------------------------ countries and languages,
# named in the reader's language (chosen from lists, never typed as ISO codes)


def _reader_locale() -> Locale:
    try:
        return Locale.parse(g.get("lang") or "en")
    except (ValueError, TypeError):
        return Locale("en")


def language_name(code: str | None) -> str:
    """An ISO 639-1 language named in the reader's language (the code if unknown)."""
    if not code:
        return ""
    return _reader_locale().languages.get(code) or Locale("en").languages.get(code) or code


def country_name(code: str | None) -> str:
    """An ISO 3166-1 country named in the reader's language (the code if unknown)."""
    if not code:
        return ""
    return _reader_locale().territories.get(code.upper()) or code


def language_choices() -> list[tuple[str, str]]:
    """Every language a field accepts, ``(code, name)`` sorted by the reader's name."""
    return sorted(((c, language_name(c)) for c in LANGUAGES), key=lambda pair: pair[1].casefold())


def country_choices() -> list[tuple[str, str]]:
    """Every country a field accepts, ``(code, name)`` sorted by the reader's name."""
    return sorted(((c, country_name(c)) for c in COUNTRIES), key=lambda pair: pair[1].casefold())


def clean(args) -> dict:
    """Query arguments without the empty ones."""
    return {key: value for key, value in args.items() if value not in (None, "")}


def query_args() -> dict:
    """This request's query arguments without the empty ones and the interface's ``lang``."""
    args = clean(request.args)
    args.pop("lang", None)
    return args


def field_errors(exc) -> dict:
    """Field -> list of messages, from a marshmallow or a contracts validation error."""
    messages = exc.messages if isinstance(exc, ValidationError) else exc.details
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    errors = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                errors[f"{key}_{sub}"] = sub_value if isinstance(sub_value, list) else [sub_value]
        else:
            errors[key] = value if isinstance(value, list) else [str(value)]
    return errors


# ------------------------------------------------------------------ answers of services


def raise_failed(results: dict, *names: str) -> None:
    """Raise the error of the first of ``names`` that failed (``calls.parallel``'s results)."""
    for name in names:
        if isinstance(results.get(name), BaseException):
            raise results[name]


def next_url(endpoint: str, args: dict, page: dict | None, **values) -> str | None:
    """The link to the next page of a listing, with the same query arguments."""
    if not page or not page.get("next_cursor"):
        return None
    next_args = {k: v for k, v in args.items() if k != "cursor"}
    return url_for(endpoint, **values, **next_args, cursor=page["next_cursor"])


def threads(comments: list) -> list:
    """Top-level comments, each followed by its replies: ``[(comment, [replies])]``."""
    replies: dict = {}
    for comment in comments:
        if comment.get("parent_id"):
            replies.setdefault(comment["parent_id"], []).append(comment)
    return [(c, replies.get(c["id"], [])) for c in comments if not c.get("parent_id")]


# ------------------------------------------------------------------ who is reading


def me() -> str | None:
    return (g.get("principal") or {}).get("id")


def is_employee() -> bool:
    return not (g.get("principal") or {}).get("guest")


def require_admin() -> None:
    if not auth.is_admin():
        raise Forbidden("Administrators only.")


def require_people_admin() -> None:
    if not auth.can_list_people():
        raise Forbidden("Administrators and global community managers only.")


def template_globals() -> dict:
    principal = g.get("principal")
    lang = g.get("lang") or i18n.DEFAULT_LANGUAGE
    return {
        "current_person": principal,
        # the bell's live count (gateway/live): where its stream is, none for visitors
        "live_url": live.for_this_request() if principal else None,
        "is_admin": auth.is_admin() if principal else False,
        "can_admin_people": auth.can_list_people() if principal else False,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "language_names": i18n.LANGUAGE_NAMES,
        "visibility_choices": VISIBILITY_CHOICES,
        "invitation_url": invitation_url,
        "password_min": limits.PASSWORD_MIN,
        "language_name": language_name,
        "country_name": country_name,
        "language_choices": language_choices,
        "country_choices": country_choices,
    }
