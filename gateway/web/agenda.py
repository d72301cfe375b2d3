"""The agenda in the web UI: a community's agenda tab, my agenda, an event's page (its times
in the reader's zone, its programme, the RSVP form, the organisers' lists), the form that
creates or changes an event, and the secret calendar addresses.

Plain forms and links, no script: a month is a table, "previous/next month" are links, the
RSVP is three radio buttons. The agenda service shows each time in the reader's zone (their
profile's) and names it; the pages print what it says. Descriptions are Markdown, rendered
and sanitised by ``parvis_contracts.markdown``.
"""

from __future__ import annotations

import calendar
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, lazy_gettext
from flask_babel import gettext as _
from markupsafe import Markup

from parvis_contracts import limits, markdown
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed
from parvis_contracts.schemas import TIME_ZONES
from parvis_contracts.vocabulary import RSVP_STATUSES

from .. import auth
from ..calls import agenda, communities, identity, parallel
from .common import field_errors, is_employee, me, next_url, raise_failed

agenda_web = Blueprint("agenda_web", __name__)

TIME_ZONE_CHOICES = tuple(sorted(TIME_ZONES))
#: the answers, as the RSVP form names them
STATUS_NAMES = {
    "going": lazy_gettext("Going"),
    "maybe": lazy_gettext("Maybe"),
    "not_going": lazy_gettext("Not going"),
    "waiting": lazy_gettext("On the waiting list"),
}
#: blank programme rows the form offers beyond those filled
SPARE_SESSIONS = 3


def init_agenda_web(app) -> None:
    app.register_blueprint(agenda_web)


# ------------------------------------------------------------------ helpers


def _header(community: dict, tab: str) -> dict:
    is_manager = community.get("my_role") == "manager"
    return {
        "community": community,
        "tab": tab,
        "is_manager": is_manager,
        "can_moderate": is_manager,
        "is_employee": is_employee(),
        "me": me(),
    }


def _view_args() -> dict:
    """The agenda's arguments from the query string: ``month`` (a month view) or a list."""
    args = {"limit": 50}
    month = request.args.get("month") or ""
    if request.args.get("view") == "month":
        args["month"] = month if _is_month(month) else date.today().strftime("%Y-%m")
        args["limit"] = limits.AGENDA_PAGE_MAX
    if request.args.get("cursor"):
        args["cursor"] = request.args["cursor"][:500]
    return args


def _is_month(text: str) -> bool:
    if len(text) != 7 or text[4] != "-":
        return False
    try:
        return 1 <= int(text[5:]) <= 12 and int(text[:4]) > 0
    except ValueError:
        return False


def month_grid(month: str, items: list) -> dict:
    """The weeks of ``month`` (Monday first), each day with its items (by the reader's day)."""
    year, number = int(month[:4]), int(month[5:])
    by_day: dict[str, list] = {}
    for item in items:
        by_day.setdefault(item["day"], []).append(item)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, number):
        weeks.append(
            [{"date": d, "in_month": d.month == number, "items": by_day.get(d.isoformat(), [])} for d in week]
        )
    previous = date(year - (number == 1), (number - 2) % 12 + 1, 1).strftime("%Y-%m")
    following = date(year + (number == 12), number % 12 + 1, 1).strftime("%Y-%m")
    return {
        "weeks": weeks,
        "month": month,
        "title": format_date(date(year, number, 1), "LLLL y"),
        "previous": previous,
        "next": following,
        "first": date(year, number, 1),
    }


def _agenda_context(page: dict, args: dict, endpoint: str, **values) -> dict:
    month = args.get("month")
    return {
        "page": page,
        "items": page["items"],
        "view": "month" if month else "list",
        "grid": month_grid(month, page["items"]) if month else None,
        "next_url": next_url(endpoint, {"view": "month", "month": month} if month else {}, page, **values),
        "status_names": STATUS_NAMES,
    }


# ------------------------------------------------------------------ agendas


@agenda_web.route("/communities/<string:community_id>/agenda")
def community_agenda(community_id):
    args = _view_args()
    found = parallel(
        community=communities.get_community.pending(community_id),
        page=agenda.community_agenda.pending(community_id, args),
    )
    raise_failed(found, "community", "page")
    community = found["community"]
    return render_template(
        "agenda/community.html",
        **_header(community, "agenda"),
        **_agenda_context(found["page"], args, "agenda_web.community_agenda", community_id=community_id),
    )


@agenda_web.route("/agenda")
def mine():
    args = _view_args()
    found = parallel(page=agenda.my_agenda.pending(args), feeds=agenda.list_feeds.pending())
    raise_failed(found, "page", "feeds")
    return render_template(
        "agenda/mine.html",
        feeds=found["feeds"]["items"],
        new_feed_url=None,
        **_agenda_context(found["page"], args, "agenda_web.mine"),
    )


# ------------------------------------------------------------------ one event


def _event_context(event: dict) -> dict:
    context = {
        "event": event,
        "description": Markup(markdown.to_html(event["description"])) if event.get("description") else None,
        "statuses": RSVP_STATUSES,
        "status_names": STATUS_NAMES,
        "rsvps": None,
        "note_max": limits.RSVP_NOTE_MAX,
    }
    ids = list(event.get("organiser_ids") or [])
    if event.get("can_edit"):
        context["rsvps"] = agenda.list_rsvps(event["id"])
        ids += [r["user_id"] for r in context["rsvps"]["items"]]
    context["people"] = identity.people_cards(ids) if ids else {}
    return context


@agenda_web.route("/events/<string:event_id>")
def event(event_id):
    return render_template("agenda/event.html", **_event_context(agenda.get_event(event_id)))


@agenda_web.route("/events/<string:event_id>/rsvp", methods=["POST"])
def rsvp(event_id):
    status = request.form.get("status")
    if status not in RSVP_STATUSES:
        flash(_("Choose going, maybe or not going."), "error")
        return redirect(url_for("agenda_web.event", event_id=event_id)), 303
    try:
        answer = agenda.rsvp(event_id, status, (request.form.get("note") or "")[: limits.RSVP_NOTE_MAX + 1])
    except (Conflict, Forbidden, ValidationFailed) as exc:
        flash(_refusal(exc), "error")
        return redirect(url_for("agenda_web.event", event_id=event_id)), 303
    if answer.get("waiting"):
        flash(_("The event is full: you are on the waiting list, and get a seat when one frees."), "success")
    else:
        flash(_("Your answer is saved."), "success")
    return redirect(url_for("agenda_web.event", event_id=event_id))


@agenda_web.route("/events/<string:event_id>/cancel", methods=["POST"])
def cancel(event_id):
    reason = (request.form.get("reason") or "")[: limits.EVENT_CANCEL_REASON_MAX]
    try:
        agenda.cancel_event(event_id, reason)
    except (Conflict, Forbidden, ValidationFailed) as exc:
        flash(_refusal(exc), "error")
        return redirect(url_for("agenda_web.event", event_id=event_id)), 303
    flash(_("The event is cancelled."), "success")
    return redirect(url_for("agenda_web.event", event_id=event_id))


def _refusal(exc) -> str:
    if isinstance(exc, Forbidden):
        return _("You are not allowed to do this.")
    if isinstance(exc, Conflict):
        return _("This event is cancelled or over: it takes no more changes or answers.")
    return _("This is not valid: please check the form and try again.")


# ------------------------------------------------------------------ the form


def form_fields(form) -> dict:
    """The event's fields from the form (what the API takes)."""
    fields: dict = {
        "title": (form.get("title") or "").strip(),
        "description": form.get("description") or "",
        "time_zone": form.get("time_zone") or "",
        "start": (form.get("start") or "").strip(),
        "end": (form.get("end") or "").strip(),
        "all_day": form.get("all_day") == "1",
        "place": (form.get("place") or "").strip() or None,
        "online_url": (form.get("online_url") or "").strip() or None,
        "invite_only": form.get("invite_only") == "1",
        "recurrence": (form.get("recurrence") or "").strip() or None,
        "exceptions": [line.strip() for line in (form.get("exceptions") or "").splitlines() if line.strip()],
    }
    capacity = (form.get("capacity") or "").strip()
    fields["capacity"] = int(capacity) if capacity.isdigit() else (capacity or None)
    sessions = []
    for i in range(limits.EVENT_SESSIONS_MAX + 1):
        title = (form.get(f"session-{i}-title") or "").strip()
        start = (form.get(f"session-{i}-start") or "").strip()
        if not title and not start:
            continue
        sessions.append(
            {
                "start": start,
                "end": (form.get(f"session-{i}-end") or "").strip() or None,
                "title": title,
                "speaker": (form.get(f"session-{i}-speaker") or "").strip() or None,
            }
        )
    fields["sessions"] = sessions
    return fields


def _values_of(event: dict) -> dict:
    """A stored event as the form shows it."""
    values = {
        k: event.get(k) for k in ("title", "description", "time_zone", "all_day", "place", "online_url")
    }
    values.update(
        start=(event["local_start"] or "")[:16],
        end=(event["local_end"] or "")[:16],
        capacity=event.get("capacity") or "",
        invite_only=event.get("invite_only"),
        recurrence=event.get("recurrence") or "",
        exceptions="\n".join(event.get("exceptions") or []),
        sessions=[
            {
                "start": (s["local_start"] or "")[:16],
                "end": (s.get("local_end") or "")[:16],
                "title": s["title"],
                "speaker": s.get("speaker") or "",
            }
            for s in event.get("sessions") or []
        ],
    )
    return values


def _form_values(fields: dict) -> dict:
    return {
        **fields,
        "exceptions": "\n".join(fields.get("exceptions") or []),
        "capacity": fields.get("capacity") or "",
    }


def _render_form(community: dict, values: dict, errors: dict, event: dict | None, status: int = 200):
    sessions = list(values.get("sessions") or [])
    rows = sessions + [{}] * min(SPARE_SESSIONS, limits.EVENT_SESSIONS_MAX - len(sessions))
    return (
        render_template(
            "agenda/form.html",
            **_header(community, "agenda"),
            values=values,
            errors=errors,
            event=event,
            session_rows=rows,
            time_zones=TIME_ZONE_CHOICES,
            limits=limits,
        ),
        status,
    )


def _field_errors(exc: ValidationFailed) -> dict:
    errors = field_errors(exc)
    return {key.replace(".", "_"): value for key, value in errors.items()}


@agenda_web.route("/communities/<string:community_id>/events/new", methods=["GET", "POST"])
def new_event(community_id):
    community = communities.get_community(community_id)
    if community.get("access") != "full":
        abort(404)
    if community.get("my_role") != "manager" and not (auth.is_admin() and community.get("my_role")):
        raise Forbidden("Only the community's managers create events.")
    if request.method == "POST":
        fields = form_fields(request.form)
        try:
            created = agenda.create_event(community_id, fields)
        except ValidationFailed as exc:
            return _render_form(community, _form_values(fields), _field_errors(exc), None, 422)
        flash(_("Event created."), "success")
        return redirect(url_for("agenda_web.event", event_id=created["id"]))
    zone = (identity.get_me() or {}).get("time_zone") or "UTC"
    return _render_form(community, {"time_zone": zone, "sessions": []}, {}, None)


@agenda_web.route("/events/<string:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id):
    current = agenda.get_event(event_id)
    if not current.get("can_edit"):
        raise Forbidden("Only the community's managers and the event's organisers can do this.")
    community = communities.get_community(current["community_id"])
    if request.method == "POST":
        fields = form_fields(request.form)
        try:
            agenda.update_event(event_id, fields)
        except ValidationFailed as exc:
            return _render_form(community, _form_values(fields), _field_errors(exc), current, 422)
        except Conflict as exc:
            flash(_refusal(exc), "error")
            return redirect(url_for("agenda_web.event", event_id=event_id)), 303
        flash(_("Event saved."), "success")
        return redirect(url_for("agenda_web.event", event_id=event_id))
    return _render_form(community, _values_of(current), {}, current)


# ------------------------------------------------------------------ calendar addresses


@agenda_web.route("/agenda/feeds", methods=["POST"])
def new_feed():
    community_id = request.form.get("community_id") or None
    try:
        made = agenda.create_feed(community_id)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("agenda_web.mine")), 303
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    address = base + url_for("agenda.CalendarFeed", token=made["token"])
    args = _view_args()
    found = parallel(page=agenda.my_agenda.pending(args), feeds=agenda.list_feeds.pending())
    raise_failed(found, "page", "feeds")
    return render_template(
        "agenda/mine.html",
        feeds=found["feeds"]["items"],
        new_feed_url=address,
        **_agenda_context(found["page"], args, "agenda_web.mine"),
    )


@agenda_web.route("/agenda/feeds/<string:feed_id>/revoke", methods=["POST"])
def revoke_feed(feed_id):
    agenda.revoke_feed(feed_id)
    flash(_("The calendar address is revoked: it no longer works."), "success")
    return redirect(url_for("agenda_web.mine"))
