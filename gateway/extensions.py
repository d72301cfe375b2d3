"""The installed gateway extensions (plug-ins), wired into the app.

Each :class:`parvis_contracts.plugins.GatewayExtension` found in the ``parvis.gateway``
entry-point group brings API blueprints (registered with the one ``Api``, so the
OpenAPI document, the error shape and the access-table check cover them), web
blueprints (with their own templates and static files), navigation items and profile
panels; its catalogue is merged by :mod:`gateway.i18n`. Nothing here names a plug-in:
removing one removes its pages and API, and nothing else changes.
"""

from __future__ import annotations

import logging

from flask import current_app, g
from markupsafe import Markup

from parvis_contracts.plugins import GatewayExtension, NavItem, gateway_extensions, load_object

from . import auth

log = logging.getLogger(__name__)

EXTENSION = "parvis_gateway_extensions"


def init_api_extensions(api) -> None:
    for extension in gateway_extensions().values():
        for tag in extension.openapi_tags:
            api.spec.tag(dict(tag))
        for spec in extension.api_blueprints:
            api.register_blueprint(load_object(spec))


def init_web_extensions(app) -> None:
    extensions: list[GatewayExtension] = list(gateway_extensions().values())
    for extension in extensions:
        for spec in extension.web_blueprints:
            app.register_blueprint(load_object(spec))
    app.extensions[EXTENSION] = {
        "nav": [item for e in extensions for item in e.nav],
        "panels": [load_object(spec) for e in extensions for spec in e.profile_panels],
    }
    app.jinja_env.globals["extension_nav"] = extension_nav
    app.jinja_env.globals["profile_panels"] = profile_panels


def _visible(item: NavItem) -> bool:
    principal = g.get("principal")
    if not principal:
        return False
    if item.audience == "employees":
        return not principal.get("guest")
    if item.audience == "admins":
        return auth.is_admin()
    return True


def extension_nav() -> list[NavItem]:
    """The extensions' navigation items the signed-in person may see."""
    return [item for item in current_app.extensions[EXTENSION]["nav"] if _visible(item)]


def profile_panels(person: dict) -> list[Markup]:
    """Each extension's panel for the profile shown; a failing panel is left out (logged)
    rather than taking the profile page down with it."""
    panels = []
    for panel in current_app.extensions[EXTENSION]["panels"]:
        try:
            markup = panel(person)
        except Exception:  # a plug-in's fault must not break a core page
            log.exception("profile panel %s failed", getattr(panel, "__qualname__", panel))
            continue
        if markup:
            panels.append(Markup(markup))
    return panels
