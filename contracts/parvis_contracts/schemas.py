"""Marshmallow helpers for the boundaries: load or raise ``ValidationFailed``."""
from __future__ import annotations

from marshmallow import Schema
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
