"""Marshmallow helpers for the boundaries: load or raise ``ValidationFailed``."""

from __future__ import annotations

import zoneinfo

from babel import Locale
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow import ValidationError as MarshmallowValidationError

from .errors import ValidationFailed

UNSTORABLE = "Text may not contain NUL characters or unpaired surrogates."
#: the largest version, revision or page number a database integer column holds
MAX_NUMBER = 2**31 - 1


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL refuses it in text) or a lone UTF-16 surrogate (not encodable)."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def unstorable_fields(data, path: str = "") -> dict:
    """``{field path: [message]}`` for every string (key or value, at any depth) that no
    database can store as text; empty when all is well."""
    found: dict = {}
    if isinstance(data, str):
        if _unstorable(data):
            found[path or "_schema"] = [UNSTORABLE]
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _unstorable(key):
                found[where] = [UNSTORABLE]
            found.update(unstorable_fields(value, where))
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            found.update(unstorable_fields(value, f"{path}.{i}" if path else str(i)))
    return found


#: the argument of every update RPC that holds the fields to change
CHANGES = "changes"


def field_details(messages, wrapper: str = CHANGES) -> dict:
    """Field -> messages, the one shape of ``ValidationFailed.details`` at every boundary.

    The fields of an update's ``changes`` are reported under their own names, as a
    create reports them (``{"name": [...]}``, never ``{"changes": {"name": [...]}}``);
    a refusal of ``changes`` as a whole (missing, not an object, empty) is ``_schema``.
    """
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    if wrapper not in messages:
        return messages
    details = {key: value for key, value in messages.items() if key != wrapper}
    nested = messages[wrapper]
    if isinstance(nested, dict):
        for key, value in nested.items():
            details[key] = _merged(details.get(key), value)
    else:
        details["_schema"] = _merged(details.get("_schema"), nested)
    return details


def _lifted(path: str, wrapper: str = CHANGES) -> str:
    """A dotted field path with an update's ``changes.`` taken off (as :func:`field_details`)."""
    if path == wrapper:
        return "_schema"
    return path.removeprefix(f"{wrapper}.")


def _merged(first, second):
    """The messages of one field reported twice (rare: an id named like a change)."""
    if first is None:
        return second
    return [*_as_list(first), *_as_list(second)]


def _as_list(messages) -> list:
    return list(messages) if isinstance(messages, (list, tuple)) else [messages]


def load(schema: Schema, data, message: str = "The request is not valid.", **kwargs):
    """Load ``data`` at a service's boundary; 422 ``ValidationFailed`` for anything the
    schema refuses, and for text no database can store (NUL, unpaired surrogates).

    ``details`` maps each refused field to its messages (:func:`field_details`)."""
    if data is None:
        data = {}
    bad = unstorable_fields(data)
    if bad:
        raise ValidationFailed(message, {_lifted(path): value for path, value in bad.items()})
    try:
        return schema.load(data, **kwargs)
    except MarshmallowValidationError as exc:
        raise ValidationFailed(message, field_details(exc.messages)) from None


# --- boundary fields shared by every service ---------------------------------

# Babel's territory list also holds a few codes that ISO 3166-1 does not assign.
_NOT_ISO_3166 = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166
)
LANGUAGES = frozenset(code for code in Locale("en").languages if len(code) == 2 and code.isalpha())


class Country(fields.String):
    """ISO 3166-1 alpha-2, case-insensitive on the way in, upper case out."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if text not in COUNTRIES:
            raise ValidationError("Not an ISO 3166-1 alpha-2 country code.")
        return text


class LanguageCode(fields.String):
    """ISO 639-1, case-insensitive on the way in, lower case out."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if text not in LANGUAGES:
            raise ValidationError("Not an ISO 639-1 language code.")
        return text


#: the IANA time zone names this machine knows (the system's tz database)
TIME_ZONES = frozenset(zoneinfo.available_timezones())


class TimeZone(fields.String):
    """An IANA time zone name (``Europe/Paris``), exactly as the tz database spells it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text not in TIME_ZONES:
            raise ValidationError("Not a known time zone: use an IANA name such as Europe/Paris.")
        return text


# --- keyset pages, the same shape in every service --------------------------------

CURSOR_MAX = 500


def limit_field(default: int = 20, most: int = 100) -> fields.Integer:
    """A page size: a whole number from 1 to ``most`` (strict: ``"20"`` is refused)."""
    return fields.Integer(load_default=default, strict=True, validate=validate.Range(1, most))


def cursor_field() -> fields.String:
    """The opaque cursor a previous page gave (``next_cursor``), or none for the first."""
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(1, CURSOR_MAX))


class PageArgsSchema(Schema):
    """The arguments of every keyset-paged list RPC; unknown fields are refused."""

    class Meta:
        unknown = RAISE

    limit = limit_field()
    cursor = cursor_field()


def page_of(item_schema: type[Schema], name: str | None = None, **extra: fields.Field):
    """The schema of a page: ``{items: [item], next_cursor, **extra}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
            **extra,
        },
        name=name or f"{item_schema.__name__.removesuffix('Schema')}Page",
    )
