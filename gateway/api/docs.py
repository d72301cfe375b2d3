"""``/api/v1/docs``: Swagger UI from the locally installed ``swagger-ui-dist``.

The assets are copied into ``gateway/static/vendor/swagger-ui/`` at install time
(``gateway/install_assets.sh``); without them the page lists the operations of
the spec as plain HTML instead of failing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for

from ..auth import public

docs = Blueprint("api_docs", __name__)

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "swagger-ui"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def swagger_available() -> bool:
    return all((VENDOR / name).is_file() for name in ("swagger-ui-bundle.js", "swagger-ui.css"))


def operations(spec: dict) -> list[dict]:
    rows = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                rows.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary") or "",
                        "tags": op.get("tags") or [],
                        "public": op.get("security") == [],
                    }
                )
    return rows


@docs.route("/api/v1/docs")
@public
def api_docs():
    api = current_app.extensions["parvis_api"]
    spec = api.spec.to_dict()
    return render_template(
        "api_docs.html",
        swagger=swagger_available(),
        spec_url=url_for("api-docs.openapi_json"),
        operations=operations(spec),
        title=spec["info"]["title"],
    )
