"""Idempotency keys of the web UI's write forms.

Each composer and comment form carries a fresh key (``new_form_key``, a template global);
the handler passes it to the service as ``idempotency_key`` (``form_key``). The same form
submitted twice (a double click, the browser sending it again after a dropped
connection) writes once: the service answers the second with the first one's result.
"""

from __future__ import annotations

import secrets

from flask import request


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def form_key() -> str | None:
    """The submitted form's key (None when absent: the write then simply runs)."""
    return (request.form.get("idempotency_key") or "").strip() or None
