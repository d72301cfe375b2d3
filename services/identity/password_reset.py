"""Password reset by e-mail: ask for a link, check it, choose a new password with it.

A link is a random token (``passwords.new_token``) of which only the SHA-256 is kept; it
works once, for ``RESET_MINUTES`` minutes, and a newer request voids the older ones. The
token leaves identity once, in the ``identity.password_reset_requested`` event (the
notifications service mails ``/password-reset/<token>``); the outbox relay blanks it in the
stored copy once published (``parvis_contracts.events.TRANSIENT_FIELDS``).

Asking answers the same ``{"requested": True}`` whoever the address is (unknown, invited,
deactivated, expired guest, erased or too many requests): only a person who can sign in
with a password gets a link. Throttling: at most ``MAX_PER_ADDRESS`` links per address in
``WINDOW`` (more requests answer the same and make nothing), and at most ``MAX_PER_IP``
requests per IP in ``WINDOW`` (more: 429, which says nothing about any address).

Using a link sets the password, ends every session of the person (the gateways forget
them at ``identity.session_ended``), clears the sign-in failures of the address and
records ``password_reset`` in the audit log (never the token). This module sends no mail.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from parvis_contracts import events as ev
from parvis_contracts.errors import NotFound

from . import audit
from .access import can_sign_in
from .models import PasswordReset, PasswordResetRequest, Person, SignInFailure
from .passwords import hash_password, new_token, token_hash
from .people import email_key, link_data, revoke_sessions
from .throttle import refuse_beyond

RESET_MINUTES = 30
WINDOW = timedelta(minutes=15)
MAX_PER_ADDRESS = 3
MAX_PER_IP = 20
#: how long requests are kept for throttling, and used or expired links at all
RETENTION = timedelta(days=1)
REQUESTED = {"requested": True}
INVALID_LINK = (
    "This password reset link is not valid: it is unknown, already used or expired. Ask for a new one."
)


def _address_hash(email: str) -> str:
    return hashlib.sha256(email_key(email).encode()).hexdigest()


def can_reset(person: Person | None, now: datetime) -> bool:
    """Who may get a link: a person who can sign in now and has a password (an invited
    person uses their invitation)."""
    return person is not None and can_sign_in(person, now) and bool(person.password_hash)


# --- asking for a link -----------------------------------------------------------------


def _check_ip(session, ip: str | None, now: datetime) -> None:
    """429 once ``MAX_PER_IP`` requests came from ``ip`` within the window."""
    if not ip:
        return
    times = session.scalars(
        select(PasswordResetRequest.at)
        .where(PasswordResetRequest.ip == ip, PasswordResetRequest.at > now - WINDOW)
        .order_by(PasswordResetRequest.at)
    )
    refuse_beyond(list(times), MAX_PER_IP, WINDOW, now, "password reset requests")


def _address_allows(session, address: str, now: datetime) -> bool:
    accepted = session.scalar(
        select(func.count(PasswordResetRequest.id)).where(
            PasswordResetRequest.email_hash == address,
            PasswordResetRequest.accepted.is_(True),
            PasswordResetRequest.at > now - WINDOW,
        )
    )
    return (accepted or 0) < MAX_PER_ADDRESS


def request_reset(session, now: datetime, email: str, ip: str | None = None) -> dict:
    """Make a link for the person of ``email`` if they may have one; answer the same always."""
    _check_ip(session, ip, now)
    address = _address_hash(email)
    accepted = _address_allows(session, address, now)
    session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.at < now - RETENTION))
    session.add(PasswordResetRequest(email_hash=address, ip=ip, at=now, accepted=accepted))
    person = session.scalars(select(Person).where(Person.email_key == email_key(email))).first()
    if accepted and can_reset(person, now):
        _issue(session, person, now, ip)
    session.commit()
    return dict(REQUESTED)


def _void_open_links(session, person_id: str, now: datetime) -> None:
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.person_id == person_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def _issue(session, person: Person, now: datetime, ip: str | None) -> None:
    _void_open_links(session, person.id, now)
    token = new_token()
    expires_at = now + timedelta(minutes=RESET_MINUTES)
    session.add(
        PasswordReset(
            token_hash=token_hash(token), person_id=person.id, created_at=now, expires_at=expires_at
        )
    )
    session.emit(ev.IDENTITY_PASSWORD_RESET_REQUESTED, link_data(person, token, expires_at))
    audit.record(session, now, audit.PASSWORD_RESET_REQUESTED, None, person.id, {"ip": ip})


# --- using a link ----------------------------------------------------------------------


def _open_link(session, token: str, now: datetime) -> tuple[PasswordReset, Person]:
    """The link and its person, or one NotFound for unknown, used, expired or ineligible."""
    link = session.scalars(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))).first()
    person = session.get(Person, link.person_id) if link is not None else None
    if link is None or link.used_at is not None or now >= link.expires_at or not can_reset(person, now):
        raise NotFound(INVALID_LINK)
    return link, person


def mask_email(email: str) -> str:
    """``ada.lovelace@acme.example`` -> ``a…@acme.example`` (enough to recognise one's own)."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def check_reset(session, now: datetime, token: str) -> dict:
    """What the new-password form shows: whose account, masked, and until when."""
    link, person = _open_link(session, token, now)
    return {
        "display_name": person.display_name,
        "masked_email": mask_email(person.email),
        "expires_at": link.expires_at,
    }


def reset_password(session, now: datetime, token: str, password: str) -> dict:
    """Set the password with a link, once; every session of the person ends."""
    link, person = _open_link(session, token, now)
    # conditional: the same link used twice at once changes the password once
    taken = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if taken != 1:
        session.rollback()
        raise NotFound(INVALID_LINK)
    _void_open_links(session, person.id, now)
    person.password_hash = hash_password(password)
    person.updated_at = now
    revoked = revoke_sessions(session, person.id, now)
    session.execute(delete(SignInFailure).where(SignInFailure.email_key == person.email_key))
    audit.record(session, now, audit.PASSWORD_RESET, person.id, person.id, {"signed_out": revoked})
    session.commit()
    return {"reset": True, "revoked_sessions": revoked}


# --- maintenance -----------------------------------------------------------------------


def sweep(session, now: datetime) -> int:
    """Forget throttling rows and links used or expired more than a day ago."""
    old = now - RETENTION
    gone = session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.at < old)).rowcount
    gone += session.execute(
        delete(PasswordReset).where(
            (PasswordReset.expires_at < old)
            | (PasswordReset.used_at.is_not(None) & (PasswordReset.used_at < old))
        )
    ).rowcount
    session.commit()
    return gone
