"""``/api/v1/me`` and ``/api/v1/people``: profiles and the directory."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from .. import rpc
from .schemas import (
    CardPageSchema,
    MeSchema,
    MeUpdateSchema,
    PasswordChangeSchema,
    PeopleQuerySchema,
    ProfileSchema,
)

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/api/v1",
    description="Your profile, other people's profiles, the directory",
)


def search_kwargs(args: dict) -> dict:
    """Directory query arguments as ``identity.search_people`` names them."""
    kwargs = {"limit": args.get("limit", 20)}
    if args.get("q"):
        kwargs["query"] = args["q"]
    for name in ("skill", "department", "country", "language", "cursor"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Your own full profile, with e-mail, roles and field visibility"""
        return rpc.call("identity", "get_me")

    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    def patch(self, changes):
        """Change fields of your profile (and who may see birth date, education, phone)"""
        return rpc.call("identity", "update_me", changes=changes)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def put(self, data):
        """Change your password; your other sessions end"""
        rpc.call(
            "identity",
            "change_password",
            current_password=data["current_password"],
            new_password=data["new_password"],
        )


@blp.route("/people")
class People(MethodView):
    @blp.arguments(PeopleQuerySchema, location="query")
    @blp.response(200, CardPageSchema)
    def get(self, args):
        """Search the directory (name, skill, department, country, language), paged by cursor"""
        return rpc.call("identity", "search_people", **search_kwargs(args))


@blp.route("/people/<string:person_id>")
class Person(MethodView):
    @blp.response(200, ProfileSchema)
    def get(self, person_id):
        """Someone's profile as you may see it (404 if absent or invisible to you)"""
        return rpc.call("identity", "get_person", person_id=person_id)
