"""The web UI: server-rendered, translated pages (no build step, no inline script).

Wiring only. Each module is one area: ``common`` (the blueprints, helpers shared by every
page, template globals), ``session`` (sign-in and out, invitations, password), ``people``
(profiles, the directory), ``admin`` (accounts and organisations), ``communities``,
``wall`` (home timeline, posts and comments), ``documents``, ``translation``, ``privacy``,
``audit``, ``notifications``, ``search``, ``experts`` (the expertise finder), ``agenda``. Pages ask
services through :mod:`gateway.calls` only, and handle files through :mod:`gateway.files`; of ``api/``
they use the shared request schemas (``gateway.api.schemas``) and nothing else.
"""

from __future__ import annotations

from .. import auth
from ..extensions import init_web_extensions
from . import (
    admin,
    agenda,
    audit,
    communities,
    documents,
    experts,
    notifications,
    people,
    privacy,
    search,
    session,
    translation,
    wall,
)
from .common import community_web, template_globals, wall_web, web
from .forms import new_form_key
from .reading import init_reading

#: the areas whose pages are registered on the shared blueprints of ``common``
AREAS = (session, people, admin, communities, wall)


def init_web(app) -> None:
    for blueprint in (web, community_web, wall_web, documents.documents_web):
        app.register_blueprint(blueprint)
    translation.init_translation_web(app)
    app.register_blueprint(privacy.privacy_web)
    app.register_blueprint(audit.audit_web)
    app.register_blueprint(notifications.notifications_web)
    app.jinja_env.globals["bell_count"] = notifications.bell_count
    search.init_search_web(app)
    experts.init_experts_web(app)
    agenda.init_agenda_web(app)
    init_web_extensions(app)  # installed plug-ins' pages, after the core
    app.jinja_env.globals["csrf_token"] = auth.csrf_token
    app.jinja_env.globals["new_form_key"] = new_form_key
    init_reading(app)
    app.context_processor(template_globals)


__all__ = ["web", "init_web"]
