"""Marshmallow helpers for the boundaries: load or raise ``ValidationFailed``."""
from __future__ import annotations

from babel import Locale
from marshmallow import Schema, ValidationError, fields
from marshmallow import ValidationError as MarshmallowValidationError

from .errors import ValidationFailed


def load(schema: Schema, data, message: str = "The request is not valid.", **kwargs):
    if data is None:
        data = {}
    try:
        return schema.load(data, **kwargs)
    except MarshmallowValidationError as exc:
        details = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(message, details) from None


# --- boundary fields shared by every service ---------------------------------

# Babel's territory list also holds a few codes that ISO 3166-1 does not assign.
_NOT_ISO_3166 = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA",
                 "XB", "XK", "ZZ"}
COUNTRIES = frozenset(code for code in Locale("en").territories
                      if len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166)
LANGUAGES = frozenset(code for code in Locale("en").languages
                      if len(code) == 2 and code.isalpha())


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
