"""The kudos plug-in's gateway extension: its API, its page, its panel on profiles.

The API (``/api/v1/people/{person_id}/kudos``, ``/api/v1/kudos/{kudos_id}``) and the web
routes reach the kudos service through the plug-in's own small call layer below, built with
the gateway's (``gateway.calls.operations``), as the request's caller; the givers' cards come
from ``gateway.calls.identity.people_cards``, with the reader's rights (a giver the reader may
not see shows as "a colleague"), remembered by the gateway like every page's cards.
"""

from __future__ import annotations

from flask import Blueprint as WebBlueprint
from flask import flash, g, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from gateway.api.schemas import CardSchema, Timestamp
from gateway.calls import identity, operations
from parvis_contracts.errors import ParvisError
from parvis_contracts.plugins import GatewayExtension, NavItem
from parvis_contracts.schemas import cursor_field, limit_field

from .limits import MESSAGE_MAX, MESSAGE_MIN, PANEL_SIZE

# ------------------------------------------------------------------ the call layer

operation = operations("kudos")
#: a giver's card holds all that the API documents of a card (more than a page shows)
GIVER_FIELDS = tuple(CardSchema().fields)


@operation
def list_kudos(person_id: str, limit: int, cursor: str | None = None) -> dict:
    return {"person_id": person_id, "limit": limit, "cursor": cursor}


@operation(method="give_kudos")
def give(person_id: str, message: str) -> dict:
    return {"recipient_id": person_id, "message": message}


@operation(method="withdraw_kudos")
def withdraw(kudos_id: str) -> dict:
    return {"kudos_id": kudos_id}


def with_givers(page: dict) -> dict:
    """The page with each item's ``giver`` card, as the reader may see it (or None)."""
    cards = identity.people_cards((item.get("giver_id") for item in page["items"]), fields=GIVER_FIELDS)
    for item in page["items"]:
        item["giver"] = cards.get(item.get("giver_id") or "")
    return page


def received(person_id: str, limit: int, cursor: str | None = None) -> dict:
    return with_givers(list_kudos(person_id, limit, cursor))


# ------------------------------------------------------------------ the API


class KudosInSchema(Schema):
    message = fields.String(
        required=True,
        validate=validate.Length(MESSAGE_MIN, MESSAGE_MAX),
        metadata={"description": "The thank-you, plain text"},
    )


class KudosQuerySchema(Schema):
    limit = limit_field(20, 100)
    cursor = cursor_field()


class KudosOutSchema(Schema):
    id = fields.String(required=True)
    recipient_id = fields.String(required=True)
    giver_id = fields.String(
        allow_none=True, metadata={"description": "null once the giver's account was erased"}
    )
    giver = fields.Nested(
        CardSchema, allow_none=True, metadata={"description": "the giver's card, when you may see it"}
    )
    message = fields.String(required=True)
    created_at = Timestamp(required=True)
    can_withdraw = fields.Boolean(metadata={"description": "you gave it, or you are an admin"})


class KudosPageSchema(Schema):
    items = fields.List(fields.Nested(KudosOutSchema), required=True)
    next_cursor = fields.String(allow_none=True)


api = Blueprint(
    "kudos", __name__, url_prefix="/api/v1", description="Kudos: thank a colleague (the kudos plug-in)"
)


@api.route("/people/<string:person_id>/kudos")
class PersonKudos(MethodView):
    @api.arguments(KudosQuerySchema, location="query")
    @api.response(200, KudosPageSchema)
    @api.doc(operationId="listPersonKudos")
    def get(self, query, person_id):
        """The thanks a person received, newest first (as visible as their profile)"""
        return received(person_id, query["limit"], query.get("cursor"))

    @api.arguments(KudosInSchema)
    @api.response(201, KudosOutSchema)
    @api.doc(operationId="givePersonKudos")
    def post(self, data, person_id):
        """Thank a person (a guest: only people sharing a community)"""
        return with_givers({"items": [give(person_id, data["message"])]})["items"][0]


@api.route("/kudos/<string:kudos_id>")
class OneKudos(MethodView):
    @api.response(204)
    @api.doc(operationId="withdrawKudos")
    def delete(self, kudos_id):
        """Withdraw a thank-you (the person who gave it, or a network admin)"""
        withdraw(kudos_id)
        return None


# ------------------------------------------------------------------ the web UI

web = WebBlueprint("kudos_web", __name__, template_folder="templates")


@web.route("/kudos")
def mine():
    return redirect(url_for("kudos_web.person_kudos", person_id=g.principal["id"]))


@web.route("/people/<string:person_id>/kudos")
def person_kudos(person_id):
    person = identity.get_person(person_id)
    try:
        query = KudosQuerySchema().load({k: v for k, v in request.args.items() if k in ("cursor",) and v})
    except ValidationError:
        query = {"limit": 20, "cursor": None}
    page = received(person_id, 20, query.get("cursor"))
    next_url = (
        url_for("kudos_web.person_kudos", person_id=person_id, cursor=page["next_cursor"])
        if page.get("next_cursor")
        else None
    )
    return render_template(
        "kudos/person.html",
        person=person,
        page=page,
        next_url=next_url,
        is_me=person["id"] == g.principal["id"],
        message_max=MESSAGE_MAX,
    )


def _back(person_id: str):
    target = request.form.get("next")
    if target not in ("profile", "kudos"):
        target = "kudos"
    if target == "profile":
        return redirect(url_for("web.person", person_id=person_id))
    return redirect(url_for("kudos_web.person_kudos", person_id=person_id))


@web.route("/people/<string:person_id>/kudos", methods=["POST"])
def give_form(person_id):
    try:
        data = KudosInSchema().load({"message": (request.form.get("message") or "").strip()})
    except ValidationError:
        flash(_("Write a thank-you of 1 to %(most)d characters.", most=MESSAGE_MAX), "error")
        return _back(person_id)
    try:
        give(person_id, data["message"])
    except ParvisError as exc:
        if exc.status in (401, 404):
            raise  # signed out, or nobody this reader may thank: as any page
        flash(
            _("This thank-you cannot be sent (you cannot thank yourself, nor a deactivated account)."),
            "error",
        )
        return _back(person_id)
    flash(_("Your thank-you was sent."), "success")
    return _back(person_id)


@web.route("/kudos/<string:kudos_id>/withdraw", methods=["POST"])
def withdraw_form(kudos_id):
    person_id = request.form.get("person_id") or g.principal["id"]
    withdraw(kudos_id)
    flash(_("The thank-you was withdrawn."), "success")
    return _back(person_id)


def profile_panel(person: dict):
    """The latest thanks on a profile, with a form to thank the person."""
    page = received(person["id"], PANEL_SIZE)
    return render_template(
        "kudos/panel.html",
        person=person,
        page=page,
        is_me=person["id"] == g.principal["id"],
        message_max=MESSAGE_MAX,
    )


EXTENSION = GatewayExtension(
    name="kudos",
    api_blueprints=("parvis_kudos.gateway:api",),
    web_blueprints=("parvis_kudos.gateway:web",),
    nav=(NavItem(endpoint="kudos_web.mine", label="Kudos"),),
    profile_panels=("parvis_kudos.gateway:profile_panel",),
    translations="parvis_kudos:translations",
)
