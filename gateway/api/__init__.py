"""The REST API under ``/api/v1``: flask-smorest blueprints, OpenAPI 3 at ``/api/v1/openapi.json``."""

from __future__ import annotations

from flask_smorest import Api

from .schemas import ErrorSchema


class ParvisApi(Api):
    """flask-smorest's ``Api`` documenting (and answering) the platform's one error shape.

    Every operation gets its stable ``operationId`` (``gateway/api/openapi_ids.py``)
    as its blueprint is registered; one without an id, or sharing one, stops the app.
    """

    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *, extra_plugins=None, **options):
        from .openapi_ids import OperationIdPlugin

        self.operation_ids = OperationIdPlugin()
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), self.operation_ids], **options)

    def handle_http_exception(self, error):
        from ..handlers import handle_error

        return handle_error(error)


SPEC_OPTIONS = {
    "info": {
        "description": (
            "The Parvis REST API. Authenticate with `POST /api/v1/auth/sign-in` and "
            "either keep the `parvis_session` cookie (then send `X-CSRF-Token` with every "
            "write) or ask for `issue_token` and send `Authorization: Bearer <token>`. "
            'Every error answers `{"error": {"status", "code", "message", "details"}}`.'
        ),
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "parvis_session"},
        },
    },
    "security": [{"bearerAuth": []}, {"cookieAuth": []}],
}


def init_api(app) -> ParvisApi:
    app.config.setdefault("API_SPEC_OPTIONS", SPEC_OPTIONS)
    api = ParvisApi(app)
    from . import admin, auth, communities, docs, feed, organisations, people, photos

    for module in (auth, people, photos, organisations, admin, communities, feed):
        api.register_blueprint(module.blp)
    from . import documents

    api.register_blueprint(documents.blp)
    from . import translation

    api.register_blueprint(translation.blp)
    from ..files import pictures
    from . import community_pictures

    pictures.init_pictures(app)
    api.register_blueprint(community_pictures.blp)
    from . import privacy

    api.register_blueprint(privacy.blp)
    from . import notifications

    api.register_blueprint(notifications.blp)
    from . import experts, search

    api.register_blueprint(search.blp)
    api.register_blueprint(experts.blp)
    from . import agenda

    api.register_blueprint(agenda.blp)
    from ..extensions import init_api_extensions

    init_api_extensions(api)  # installed plug-ins, after the core
    app.register_blueprint(docs.docs)
    app.extensions["parvis_api"] = api
    return api
