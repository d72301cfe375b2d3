"""The notifications service's e-mail layer: build a message, hand it to a transport.

:func:`build` turns a :class:`Mail` (what the service decided to say to one person) into
an ``EmailMessage``: plain text and HTML alternatives, the caller's ``Message-ID``,
``Content-Language``, ``Auto-Submitted`` and, with an unsubscribe link, the RFC 8058
one-click headers. :func:`transport` chooses where it goes from the settings
(``PARVIS_MAIL_*``, ``PARVIS_SMTP_*``): a Maildir on disk (the default, nothing leaves
the machine) or an SMTP server, one connection per batch.

``send_many`` never raises for one message: it answers which ``message_id`` were
accepted and which failed permanently (5xx: do not try again) or temporarily (4xx, no
connection: try later). ``send`` is the one-message form and raises those two failures.

Standard library only. This room holds no notification logic, no database, no nameko:
who is told, in which words, and when to retry is the service's business.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import mailbox
import os
import re
import smtplib
import ssl
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from parvis_contracts import settings as table

log = logging.getLogger(__name__)

TRANSPORTS = ("maildir", "smtp")
SECURITIES = ("none", "starttls", "tls")

#: headers :func:`build` writes itself; ``Mail.headers`` may not set them (nor any Content-*)
OWN_HEADERS = frozenset(
    name.lower()
    for name in (
        "Message-ID",
        "Date",
        "From",
        "To",
        "Subject",
        "Auto-Submitted",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "MIME-Version",
    )
)

#: ``id-left@id-right`` of RFC 5322 (dot-atoms, without the angle brackets)
MESSAGE_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
#: a language tag (``fr``, ``pt-BR``, ``zh-Hant-TW``)
LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
#: an image or a style that would fetch something from a server when the mail is opened
REMOTE_FETCH = re.compile(
    r"""<img\b[^>]*\bsrc\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""",
    re.IGNORECASE,
)

#: the Maildir's index of delivered Message-IDs: one empty-ish file per id's hash. Not a
#: dot name, so that ``mailbox.Maildir`` and IMAP servers do not take it for a folder
SENT_INDEX = "parvis-sent"


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class MailSettings:
    """The e-mail settings of one process, read from the table (``PARVIS_MAIL_*``, ``PARVIS_SMTP_*``)."""

    transport: str
    maildir: Path
    sender: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_user: str | None
    smtp_password: str | None = field(repr=False)
    smtp_timeout: float

    @classmethod
    def from_environment(cls, environ: Mapping | None = None) -> MailSettings:
        """From ``environ`` (``os.environ``); a value out of its choices raises SettingError."""
        found = cls(
            transport=_choice("PARVIS_MAIL_TRANSPORT", TRANSPORTS, environ),
            maildir=table.value("PARVIS_MAIL_MAILDIR", environ),
            sender=table.value("PARVIS_MAIL_FROM", environ),
            smtp_host=table.value("PARVIS_SMTP_HOST", environ),
            smtp_port=table.value("PARVIS_SMTP_PORT", environ),
            smtp_security=_choice("PARVIS_SMTP_SECURITY", SECURITIES, environ),
            smtp_user=table.value("PARVIS_SMTP_USER", environ),
            smtp_password=table.value("PARVIS_SMTP_PASSWORD", environ),
            smtp_timeout=table.value("PARVIS_SMTP_TIMEOUT", environ),
        )
        found.check()
        return found

    def check(self) -> None:
        """SettingError naming the variable for a value this layer cannot work with."""
        if "@" not in parseaddr(self.sender)[1]:
            raise table.SettingError(f"PARVIS_MAIL_FROM={self.sender!r} has no e-mail address")
        if not 0 < self.smtp_port < 65536:
            raise table.SettingError(f"PARVIS_SMTP_PORT={self.smtp_port!r} is not a port")
        if self.smtp_timeout <= 0:
            raise table.SettingError(f"PARVIS_SMTP_TIMEOUT={self.smtp_timeout!r} is not a positive number")
        if (
            self.transport == "smtp"
            and self.smtp_user
            and self.smtp_security == "none"
            and not _loopback(self.smtp_host)
        ):
            raise table.SettingError(
                f"PARVIS_SMTP_SECURITY='none' would send PARVIS_SMTP_USER's password in clear to "
                f"{self.smtp_host!r}: use starttls or tls"
            )


def _choice(name: str, allowed: tuple[str, ...], environ: Mapping | None) -> str:
    chosen = str(table.value(name, environ)).strip().lower()
    if chosen not in allowed:
        raise table.SettingError(f"{name}={chosen!r} is not one of {', '.join(allowed)}")
    return chosen


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- the message


@dataclass(frozen=True)
class Mail:
    """One e-mail to one person, as the service words it.

    ``message_id`` is the caller's (``id-left@id-right``, no angle brackets), derived from
    its notification ids so that a resend of the same mail is recognisable.
    """

    to: str
    subject: str
    text: str
    html: str
    message_id: str
    unsubscribe_url: str | None = None
    language: str = "en"
    headers: Mapping[str, str] = field(default_factory=dict)


def build(mail: Mail, sender: str, *, now: datetime | None = None) -> EmailMessage:
    """``mail`` as a multipart/alternative message from ``sender`` (``Name <address>``).

    ValueError for what would make a wrong or unsafe message: a malformed Message-ID,
    language or unsubscribe URL, an extra header that :func:`build` writes itself, a
    line break in a header, or HTML that fetches a remote image or style (no tracking).
    """
    _check(mail)
    message = EmailMessage()
    message["Message-ID"] = f"<{mail.message_id}>"
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in mail.headers.items():
        message[name] = value
    # quoted-printable keeps the body 7-bit: any server takes it, 8BITMIME or not
    message.set_content(mail.text, cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    # after the parts: set_content and add_alternative move every Content-* header away
    message["Content-Language"] = mail.language
    return message


def _check(mail: Mail) -> None:
    if not MESSAGE_ID.match(mail.message_id):
        raise ValueError(f"message_id {mail.message_id!r} is not id-left@id-right (no angle brackets)")
    if not LANGUAGE.match(mail.language):
        raise ValueError(f"language {mail.language!r} is not a language tag")
    url = mail.unsubscribe_url
    if url is not None and not re.match(r"^https?://[^\s<>]+$", url):
        raise ValueError(f"unsubscribe_url {url!r} is not an http(s) URL")
    taken = sorted(
        name for name in mail.headers if name.lower() in OWN_HEADERS or name.lower().startswith("content-")
    )
    if taken:
        raise ValueError(f"headers may not set {', '.join(taken)}: build() writes them")
    if REMOTE_FETCH.search(mail.html):
        raise ValueError("the HTML part loads a remote image or style (tracking): inline it or leave it out")


# ---------------------------------------------------------------- outcomes


class MailError(Exception):
    """One mail not delivered (``message_id``, ``reason``: the server's answer or the error)."""

    def __init__(self, message_id: str, reason: str):
        super().__init__(f"{message_id}: {reason}")
        self.message_id = message_id
        self.reason = reason


class PermanentFailure(MailError):
    """Refused for good (a 5xx answer, a mail that cannot be built): do not send it again."""


class TemporaryFailure(MailError):
    """Not delivered this time (a 4xx answer, no connection, a full disk): try again later."""


@dataclass(frozen=True)
class Outcome:
    """What became of a batch, by ``message_id``; failures map to their reason."""

    accepted: tuple[str, ...] = ()
    permanent: Mapping[str, str] = field(default_factory=dict)
    temporary: Mapping[str, str] = field(default_factory=dict)

    def raise_for(self, message_id: str) -> None:
        """Raise the failure of ``message_id``, if it failed."""
        if message_id in self.permanent:
            raise PermanentFailure(message_id, self.permanent[message_id])
        if message_id in self.temporary:
            raise TemporaryFailure(message_id, self.temporary[message_id])


class _Tally:
    """An :class:`Outcome` being filled in."""

    def __init__(self):
        self.accepted: list[str] = []
        self.permanent: dict[str, str] = {}
        self.temporary: dict[str, str] = {}

    def fail(self, failure: MailError) -> None:
        kind = "permanent" if isinstance(failure, PermanentFailure) else "temporary"
        getattr(self, kind)[failure.message_id] = failure.reason
        log.warning("mail %s not delivered (%s): %s", failure.message_id, kind, failure.reason)

    def outcome(self) -> Outcome:
        return Outcome(tuple(self.accepted), dict(self.permanent), dict(self.temporary))


def _unique(mails: Iterable[Mail]) -> list[Mail]:
    """``mails`` without a second mail of the same message_id (it is the same mail)."""
    seen: dict[str, Mail] = {}
    for mail in mails:
        seen.setdefault(mail.message_id, mail)
    return list(seen.values())


# ---------------------------------------------------------------- transports


class Transport(ABC):
    """Where mails go. ``send_many`` answers an :class:`Outcome` and raises for none of them."""

    def __init__(self, sender: str):
        self.sender = sender

    @abstractmethod
    def send_many(self, mails: Iterable[Mail]) -> Outcome:
        """Deliver ``mails``; one failure never stops the others."""

    def send(self, mail: Mail) -> None:
        """Deliver ``mail``; PermanentFailure or TemporaryFailure when it was not."""
        self.send_many([mail]).raise_for(mail.message_id)

    def _build(self, mail: Mail) -> EmailMessage:
        try:
            return build(mail, self.sender)
        except ValueError as exc:  # the caller's mistake: sending it again will not help
            raise PermanentFailure(mail.message_id, f"not sendable: {exc}") from exc


class MaildirTransport(Transport):
    """Writes each message into ``new/`` of a Maildir (created when missing), once per Message-ID.

    The index (:data:`SENT_INDEX`, a file per Message-ID hash) is claimed after the message
    is written: two senders racing on one id leave one message (the loser removes its
    copy), and a crash between the two steps means a duplicate on resend, never a loss.
    An id delivered before counts as accepted (nothing is written).
    """

    def __init__(self, path: Path, sender: str):
        super().__init__(sender)
        self.path = Path(path)

    def send_many(self, mails: Iterable[Mail]) -> Outcome:
        tally = _Tally()
        for mail in _unique(mails):
            try:
                self._deliver(mail)
            except MailError as failure:
                tally.fail(failure)
            else:
                tally.accepted.append(mail.message_id)
        return tally.outcome()

    def marker(self, message_id: str) -> Path:
        """The index file that says ``message_id`` was delivered."""
        return self.path / SENT_INDEX / hashlib.sha256(message_id.encode()).hexdigest()

    def _deliver(self, mail: Mail) -> None:
        message = self._build(mail)
        marker = self.marker(mail.message_id)
        try:
            if marker.exists():
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(self.path, create=True)
            marker.parent.mkdir(mode=0o700, exist_ok=True)
            key = box.add(message)
            try:
                fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another sender delivered the same id meanwhile
                box.discard(key)
                return
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(key + "\n")
        except OSError as exc:
            raise TemporaryFailure(mail.message_id, f"maildir: {exc}") from exc


class SmtpTransport(Transport):
    """Sends through one SMTP connection per batch (``send_many``), one transaction per mail.

    ``ssl_context`` verifies the server's certificate (default: the system's CAs, with
    ``starttls`` and ``tls``); AUTH only when a user is set.
    """

    def __init__(self, settings: MailSettings, *, ssl_context: ssl.SSLContext | None = None):
        super().__init__(settings.sender)
        self.settings = settings
        self.ssl_context = ssl_context

    def send_many(self, mails: Iterable[Mail]) -> Outcome:
        tally = _Tally()
        messages = []
        for mail in _unique(mails):
            try:
                messages.append((mail, self._build(mail)))
            except MailError as failure:
                tally.fail(failure)
        if not messages:
            return tally.outcome()
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            reason = f"no connection to {self.settings.smtp_host}:{self.settings.smtp_port}: {_reason(exc)}"
            for mail, _message in messages:
                tally.fail(TemporaryFailure(mail.message_id, reason))
            return tally.outcome()
        try:
            self._transact(client, messages, tally)
        finally:
            _close(client)
        return tally.outcome()

    def _transact(self, client: smtplib.SMTP, messages: list, tally: _Tally) -> None:
        envelope_from = parseaddr(self.sender)[1]
        for position, (mail, message) in enumerate(messages):
            try:
                client.send_message(message, from_addr=envelope_from, to_addrs=[mail.to])
            except smtplib.SMTPRecipientsRefused as exc:
                code, answer = next(iter(exc.recipients.values()))
                tally.fail(_classify(mail, code, answer))
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                tally.fail(_classify(mail, exc.smtp_code, exc.smtp_error))
            except smtplib.SMTPNotSupportedError as exc:  # e.g. an address that needs SMTPUTF8
                tally.fail(PermanentFailure(mail.message_id, f"the server cannot take it: {exc}"))
            except (OSError, smtplib.SMTPException) as exc:
                # the connection is gone (or in an unknown state): this and the rest wait
                reason = f"connection lost: {_reason(exc)}"
                for rest, _message in messages[position:]:
                    tally.fail(TemporaryFailure(rest.message_id, reason))
                return
            else:
                tally.accepted.append(mail.message_id)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self.ssl_context
        if context is None and s.smtp_security != "none":
            context = ssl.create_default_context()
        if s.smtp_security == "tls":
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            client.ehlo()
            if s.smtp_security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
        except BaseException:
            client.close()
            raise
        return client


def _classify(mail: Mail, code: int, answer) -> MailError:
    """5xx is permanent; 4xx, and anything else, temporary."""
    reason = f"{code} {_text(answer)}".strip()
    if 500 <= code < 600:
        return PermanentFailure(mail.message_id, reason)
    return TemporaryFailure(mail.message_id, reason)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(answer) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def transport(settings: MailSettings | None = None) -> Transport:
    """The transport ``settings`` (default: the environment's) choose."""
    settings = settings or MailSettings.from_environment()
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    return MaildirTransport(settings.maildir, settings.sender)


__all__ = [
    "Mail",
    "MailSettings",
    "MailError",
    "PermanentFailure",
    "TemporaryFailure",
    "Outcome",
    "Transport",
    "MaildirTransport",
    "SmtpTransport",
    "build",
    "transport",
]
