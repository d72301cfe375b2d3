"""``/api/v1/me`` and ``/api/v1/people``: profiles and the directory."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..calls import identity
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


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Your own full profile, with e-mail, roles and field visibility"""
        return identity.get_me()

    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    def patch(self, changes):
        """Change fields of your profile (and who may see birth date, education, phone)"""
        return identity.update_me(changes)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def put(self, data):
        """Change your password; your other sessions end"""
        identity.change_password(data["current_password"], data["new_password"])


@blp.route("/people")
class People(MethodView):
    @blp.arguments(PeopleQuerySchema, location="query")
    @blp.response(200, CardPageSchema)
    def get(self, args):
        """Search the directory (name, skill, department, country, language), paged by cursor"""
        return identity.search_people(args)


@blp.route("/people/<string:person_id>")
class Person(MethodView):
    @blp.response(200, ProfileSchema)
    def get(self, person_id):
        """Someone's profile as you may see it (404 if absent or invisible to you)"""
        return identity.get_person(person_id)
