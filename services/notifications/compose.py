"""The words of the mails, in the recipient's language: notifications (one at once, or a
digest) and account mails (a password reset, an invitation to the network).

Each function answers a :class:`mail.Mail` (plain text and HTML, the same content); the
sentences of notifications are the web page's (``parvis_contracts.notification_words``),
the rest is in ``translations/<lang>/mail.po`` beside this file. Every link is absolute,
on the network's public address; the HTML loads nothing from anywhere (no image, no
style sheet, no tracking). With the network's ``PARVIS_MAIL_CONTENT=title``, a mail says
what happened and where, and never quotes the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from parvis_contracts import notification_words as words
from parvis_contracts.markdown import MENTION_RE

from .mail import Mail
from .unsubscribe import ALL
from .unsubscribe import token as unsubscribe_token

LANGUAGES = ("en", "fr", "es", "de")
CATALOGS = Path(__file__).resolve().parent / "translations"
#: characters of a content's text a mail quotes at most
EXCERPT = 280


@dataclass(frozen=True)
class Recipient:
    """A person as the mails need them (identity's ``mail_profiles``)."""

    user_id: str
    email: str
    display_name: str
    language: str | None = None
    time_zone: str | None = None

    @property
    def locale(self) -> str:
        primary = (self.language or "en").replace("_", "-").split("-")[0].lower()
        return primary if primary in LANGUAGES else "en"


def wording(language: str):
    """The translations of ``language``: the notifications' words and the mails'."""
    return words.translations(language, CATALOGS / language / "mail.po")


def _excerpt(text: str | None) -> str | None:
    """The start of a text as a mail quotes it: one line, mentions as "@Name"."""
    if not text:
        return None
    flat = " ".join(MENTION_RE.sub(lambda match: "@" + match.group(1), text).split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


@dataclass(frozen=True)
class Line:
    """One notification, as a mail shows it."""

    sentence: str
    community: str
    link: str
    excerpt: str | None


def lines(items: list[dict], names: dict, base_url: str, quote: bool, w) -> list[Line]:
    """``items`` (notifications with ``community_name`` and ``excerpt``) as mail lines."""
    found = []
    for item in items:
        actors = [names.get(a) if a else None for a in item.get("actor_ids") or []]
        found.append(
            Line(
                sentence=words.sentence(item, actors, w),
                community=item.get("community_name") or "",
                link=base_url + words.target_path(item),
                excerpt=_excerpt(item.get("excerpt")) if quote else None,
            )
        )
    return found


def notifications_mail(
    recipient: Recipient,
    items: list[dict],
    names: dict,
    *,
    frequency: str,
    base_url: str,
    quote: bool,
    message_id: str,
) -> Mail:
    """The mail of ``items`` (newest first) to ``recipient``: at once, or their digest."""
    w = wording(recipient.locale)
    shown = lines(items, names, base_url, quote, w)
    kinds = {item["kind"] for item in items}
    scope = next(iter(kinds)) if len(kinds) == 1 else ALL
    token = unsubscribe_token(recipient.user_id, scope)
    # the mail client's one-click POST (RFC 8058), and the footer's page that asks first
    one_click_url = f"{base_url}/api/v1/notifications/unsubscribe/{token}"
    unsubscribe_url = f"{base_url}/mail/unsubscribe/{token}"
    settings_url = f"{base_url}/notifications/settings"
    if frequency == "daily":
        subject = w.ngettext(
            "Your daily digest: %(num)s notification", "Your daily digest: %(num)s notifications", len(shown)
        ) % {"num": len(shown)}
    elif frequency == "weekly":
        subject = w.ngettext(
            "Your weekly digest: %(num)s notification",
            "Your weekly digest: %(num)s notifications",
            len(shown),
        ) % {"num": len(shown)}
    elif len(shown) == 1:
        subject = f"{shown[0].sentence} · {shown[0].community}" if shown[0].community else shown[0].sentence
    else:
        subject = w.ngettext("%(num)s new notification", "%(num)s new notifications", len(shown)) % {
            "num": len(shown)
        }
    hello = w.gettext("Hello %(name)s,") % {"name": recipient.display_name}
    intro = w.gettext("Here is what happened on Parvis:")
    open_label = w.gettext("Open in Parvis")
    why = w.gettext("You receive this mail because of your notification settings.")
    change = w.gettext("Choose what you receive by e-mail")
    stop = w.gettext("Stop these e-mails") if scope == ALL else w.gettext("Stop e-mails of this kind")

    text = [hello, "", intro, ""]
    for line in shown:
        text.append(f"* {line.sentence}" + (f" — {line.community}" if line.community else ""))
        if line.excerpt:
            text.append(f"  « {line.excerpt} »" if recipient.locale == "fr" else f'  "{line.excerpt}"')
        text.append(f"  {open_label}: {line.link}")
        text.append("")
    text += ["-- ", why, f"{change}: {settings_url}", f"{stop}: {unsubscribe_url}", ""]

    html = [
        f'<!DOCTYPE html><html lang="{recipient.locale}"><head><meta charset="utf-8">',
        f"<title>{escape(subject)}</title></head>",
        '<body style="font-family: sans-serif; color: #1d2733; line-height: 1.45;">',
        f"<p>{escape(hello)}</p><p>{escape(intro)}</p><ul>",
    ]
    for line in shown:
        html.append('<li style="margin-bottom: 1em;">')
        html.append(f"<strong>{escape(line.sentence)}</strong>")
        if line.community:
            html.append(f" — {escape(line.community)}")
        if line.excerpt:
            quoted = escape(line.excerpt)
            html.append(f'<blockquote style="margin: .3em 0 .3em 1em; color: #4a5563;">{quoted}</blockquote>')
        html.append(f'<br><a href="{escape(line.link)}">{escape(open_label)}</a></li>')
    html += [
        "</ul><hr>",
        f'<p style="font-size: small; color: #4a5563;">{escape(why)}<br>',
        f'<a href="{escape(settings_url)}">{escape(change)}</a> · ',
        f'<a href="{escape(unsubscribe_url)}">{escape(stop)}</a></p>',
        "</body></html>",
    ]
    return Mail(
        to=recipient.email,
        subject=subject,
        text="\n".join(text),
        html="".join(html),
        message_id=message_id,
        unsubscribe_url=one_click_url,
        language=recipient.locale,
    )


def _local(iso: str, time_zone: str | None) -> str:
    when = datetime.fromisoformat(iso)
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def account_mail(kind: str, data: dict, *, base_url: str, message_id: str) -> Mail:
    """A password reset (``password_reset``) or an invitation to the network (``invitation``)."""
    recipient = Recipient(
        user_id=data["user_id"],
        email=data["email"],
        display_name=data["display_name"],
        language=data.get("language"),
        time_zone=data.get("time_zone"),
    )
    w = wording(recipient.locale)
    hello = w.gettext("Hello %(name)s,") % {"name": recipient.display_name}
    until = _local(data["expires_at"], recipient.time_zone)
    if kind == "password_reset":
        link = f"{base_url}/password-reset/{data['token']}"
        subject = w.gettext("Reset your Parvis password")
        body = [
            w.gettext("Someone, hopefully you, asked to reset the password of your Parvis account."),
            w.gettext("Choose a new password with this link; it works once, until %(until)s:")
            % {"until": until},
        ]
        after = w.gettext("If you did not ask for it, ignore this mail: your password stays as it is.")
        action = w.gettext("Choose a new password")
    else:
        link = f"{base_url}/invitations/{data['token']}"
        inviter, org = data.get("invited_by_name"), data.get("org_name") or "Parvis"
        subject = (
            w.gettext("%(who)s invites you to Parvis") % {"who": inviter}
            if inviter
            else w.gettext("You are invited to Parvis")
        )
        body = [
            w.gettext(
                "You are invited to join the network of %(org)s on Parvis, its enterprise social network."
            )
            % {"org": org},
            w.gettext("Choose your password with this link, until %(until)s:") % {"until": until},
        ]
        after = w.gettext("If you do not know why you received this invitation, ignore this mail.")
        action = w.gettext("Accept the invitation")
    text = "\n".join([hello, "", *body, link, "", after, ""])
    html = "".join(
        [
            f'<!DOCTYPE html><html lang="{recipient.locale}"><head><meta charset="utf-8">',
            f"<title>{escape(subject)}</title></head>",
            '<body style="font-family: sans-serif; color: #1d2733; line-height: 1.45;">',
            f"<p>{escape(hello)}</p>",
            *(f"<p>{escape(paragraph)}</p>" for paragraph in body),
            f'<p><a href="{escape(link)}">{escape(action)}</a></p>',
            f'<p style="font-size: small; color: #4a5563;">{escape(after)}</p>',
            "</body></html>",
        ]
    )
    return Mail(
        to=recipient.email,
        subject=subject,
        text=text,
        html=html,
        message_id=message_id,
        language=recipient.locale,
    )
