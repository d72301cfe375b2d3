"""Translation in the web UI: the translate control on posts, comments and pages, automatic
translation of whole pages, and the admin screen (served pairs, engines, glossary).

Pages are not changed view by view. Just before a page with posts (the wall, the
home timeline, a post on its own, a wiki page) is rendered, :func:`prepare_page`
(connected to Flask's ``before_render_template`` signal) looks at what the page
shows and, with ONE call to the translation service:

* when the reader asked for it (``?translate=<lang>``, the no-script path of the
  translate link) or has "translate automatically" on: ``translate_batch`` into
  the reader's language, with a short time limit (``PARVIS_TRANSLATION_PAGE_TIMEOUT``);
  on a timeout or an unavailable engine the originals are shown with a notice;
* otherwise: ``detect_batch``, so each text says what language it is written in
  (remembered per content revision in this process, so a page seen again costs nothing).

Templates read the outcome through the ``translation_state(kind, item)`` global.
Translated Markdown is rendered and sanitised here (``parvis_contracts.markdown``).
"""

from __future__ import annotations

import logging

from babel import Locale
from flask import Blueprint, before_render_template, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import ValidationError

from parvis_contracts import markdown
from parvis_contracts.errors import Conflict, Forbidden, NotFound, ParvisError, Unavailable, ValidationFailed

from .. import auth
from ..api.schemas import TermCreateSchema, TermUpdateSchema
from ..calls import translation

log = logging.getLogger(__name__)

translation_web = Blueprint("translation_web", __name__)

#: templates that show posts, comments or pages
PAGES_WITH_TEXTS = {
    "home.html",
    "communities/page.html",
    "feed/post.html",
    "feed/list.html",
    "documents/page.html",
}
BATCH_MAX_ITEMS = 100
BATCH_MAX_CHARS = 90_000


# ------------------------------------------------------------------ language names


def language_name(code: str | None) -> str:
    """The language's name in the reader's language ("French", "français", "Französisch")."""
    if not code:
        return ""
    try:
        name = Locale.parse(g.get("lang") or "en").languages.get(code)
    except Exception:  # an unknown locale: the code itself
        name = None
    return name or code


# ------------------------------------------------------------------ what a page shows


def _texts_of(context: dict) -> list[dict]:
    """Every post, comment and page the template will show: ``{kind, id, body, revision,
    language}``, posts first, each once."""
    found: list[dict] = []
    seen: set = set()

    def add(kind, item, revision_key="version"):
        if not isinstance(item, dict) or not item.get("id") or not item.get("body"):
            return
        if (kind, item["id"]) in seen:
            return
        seen.add((kind, item["id"]))
        found.append(
            {
                "kind": kind,
                "id": item["id"],
                "body": item["body"],
                "revision": item.get(revision_key),
                "language": item.get("language"),
            }
        )

    add("post", context.get("post"))
    for post in context.get("posts") or []:
        add("post", post)
    home = context.get("home")
    if isinstance(home, dict):
        for post in home.get("posts") or []:
            add("post", post)
    for name in ("wiki", "page"):
        page = context.get(name)
        if isinstance(page, dict) and "title" in page and "body" in page:
            add("page", page, "revision")
    for threads in (context.get("threads") or {}).values():
        for comment, replies in threads:
            add("comment", comment)
            for reply in replies:
                add("comment", reply)
    return found


def _reader_target() -> str:
    return g.get("lang") or "en"


def _requested() -> str | None:
    """``?translate=<lang>`` (the no-script link), ``off`` to see the originals."""
    value = (request.args.get("translate") or "").strip().lower()
    return value or None


def _auto_target() -> str | None:
    requested = _requested()
    if requested == "off":
        return None
    if requested and len(requested) == 2 and requested.isalpha():
        return requested
    principal = g.get("principal") or {}
    return _reader_target() if principal.get("auto_translate") else None


def _batch(texts: list[dict], target: str) -> tuple[dict, str | None]:
    """-> (``(kind, id)`` -> result or error, notice) for a page translated as a whole."""
    items, chosen, total = [], [], 0
    for text in texts:
        if len(items) >= BATCH_MAX_ITEMS or total + len(text["body"]) > BATCH_MAX_CHARS:
            break
        total += len(text["body"])
        chosen.append(text)
        items.append(
            {
                "text": text["body"],
                "source": text["language"],
                "content": {"kind": text["kind"], "id": text["id"], "revision": text["revision"]},
            }
        )
    if not items:
        return {}, None
    try:
        results = translation.translate_batch(items, target)
    except Unavailable:
        return {}, "unavailable"
    except ParvisError as exc:  # e.g. an unknown target code in ?translate=
        log.info("page translation refused: %s", exc)
        return {}, "refused"
    except Exception as exc:  # broker trouble: the originals, with the notice
        log.warning("page translation failed: %s", exc)
        return {}, "unavailable"
    out, notice = {}, None
    for text, result in zip(chosen, results, strict=False):
        out[(text["kind"], text["id"])] = result
        if result.get("error", {}).get("code") == "unavailable":
            notice = "unavailable"
    return out, notice


def prepare_page(sender, template, context, **extra) -> None:
    """``before_render_template``: translate or detect what the page shows, once."""
    if template.name not in PAGES_WITH_TEXTS or g.get("principal") is None:
        return
    if g.get("translation_view") is not None:
        return
    texts = _texts_of(context)
    target = _auto_target()
    view = {
        "target": target or _reader_target(),
        "auto": target is not None,
        "results": {},
        "notice": None,
        "pairs": None,
    }
    g.translation_view = view
    if not texts:
        return
    if target is not None:
        view["results"], view["notice"] = _batch(texts, target)
    else:
        translation.detect_languages(texts)
    view["pairs"] = translation.served_pairs()


# ------------------------------------------------------------------ for the templates


def translation_state(kind: str, item: dict) -> dict:
    """What the templates show for one post, comment or page."""
    view = g.get("translation_view") or {
        "target": _reader_target(),
        "auto": False,
        "results": {},
        "notice": None,
        "pairs": None,
    }
    target = view["target"]
    result = view["results"].get((kind, item.get("id"))) if isinstance(item, dict) else None
    revision = item.get("revision" if kind == "page" else "version")
    source = item.get("language") or (result or {}).get("source")
    if not source:
        source = translation.detected_language(kind, item.get("id"), revision)
    state = {
        "kind": kind,
        "id": item.get("id"),
        "source": source,
        "source_name": language_name(source),
        "target": target,
        "target_name": language_name(target),
        "translated": None,
        "notice": None,
        "served": translation.pair_served(view["pairs"], source, target),
        "needs_translation": source != target,
    }
    if result and "error" not in result:
        if result.get("source") != target and result.get("engine") != "none":
            state["translated"] = {
                "html": Markup(markdown.to_html(result["text"])),
                "engine": result.get("engine"),
            }
    elif result and view["auto"]:
        details = result["error"].get("details") or {}
        if details.get("code") == "unsupported_pair":
            state["served"] = False
    if view["auto"] and view["notice"] == "unavailable" and not g.get("translation_notice_done"):
        g.translation_notice_done = True  # once per page, on the first text
        state["notice"] = "unavailable"
    return state


def translate_script() -> Markup:
    """The ``<script>`` of translate.js, once per page."""
    if g.get("translate_script_done"):
        return Markup("")
    g.translate_script_done = True
    src = url_for("static", filename="translate.js")
    return Markup('<script src="%s" defer></script>') % src


def translation_link(kind: str, item: dict, target: str) -> str:
    """The no-script path: the post (or page) rendered translated."""
    if kind == "page":
        return request.path + "?translate=" + target
    post_id = item.get("post_id") if kind == "comment" else item.get("id")
    anchor = f"#comment-{item.get('id')}" if kind == "comment" else ""
    return url_for("wall.post_page", post_id=post_id, translate=target) + anchor


# ------------------------------------------------------------------ admin screen


def _require_glossary_admin() -> None:
    if not auth.can_list_people():
        raise Forbidden("Administrators and global community managers only.")


def _pairs_table(pairs: dict | None) -> dict:
    """Served pairs grouped by source; the languages with no pair at all, e.g. German."""
    if not pairs:
        return {"by_source": [], "languages": [], "engines": [], "missing": [], "missing_names": []}
    by_source: dict = {}
    for pair in pairs.get("pairs") or []:
        by_source.setdefault(pair["source"], []).append(pair)
    known = set(pairs.get("languages") or [])
    missing = [code for code in pairs.get("detect_languages") or [] if code not in known]
    return {
        "by_source": sorted(by_source.items()),
        "languages": sorted(known),
        "engines": pairs.get("engines") or [],
        "missing": missing,
        "missing_names": [f"{language_name(code)} ({code})" for code in missing],
    }


@translation_web.route("/admin/translation")
def admin():
    _require_glossary_admin()
    return _render_admin({}, {})


def _render_admin(values: dict, errors: dict, status: int = 200):
    try:
        pairs = translation.pairs(translation.page_timeout())
        pairs_error = False
    except (Unavailable, Exception):
        pairs, pairs_error = None, True
    try:
        glossary = translation.glossary_list(limit=500)
        glossary_error = False
    except Forbidden:
        raise
    except Exception:
        glossary, glossary_error = {"items": []}, True
    return render_template(
        "admin/translation.html",
        pairs=_pairs_table(pairs),
        pairs_error=pairs_error,
        glossary=glossary,
        glossary_error=glossary_error,
        values=values,
        errors=errors,
        active="translation",
    ), status


def _term_form(form, with_term: bool) -> dict:
    raw: dict = {"translations": {}}
    for key, value in form.items():
        if key.startswith("tr_") and value.strip():
            raw["translations"][key[3:]] = value.strip()
    raw["case_sensitive"] = form.get("case_sensitive") in ("on", "1", "true")
    raw["note"] = (form.get("note") or "").strip()
    if with_term:
        raw["term"] = (form.get("term") or "").strip()
        if form.get("source_language"):
            raw["source_language"] = form["source_language"]
        return TermCreateSchema().load(raw)
    return TermUpdateSchema().load(raw)


@translation_web.route("/admin/translation/glossary", methods=["POST"])
def glossary_add():
    _require_glossary_admin()
    try:
        data = _term_form(request.form, with_term=True)
        translation.glossary_add(**data)
    except (ValidationError, ValidationFailed):
        flash(_("Check the term and its translations."), "error")
        return _render_admin(request.form.to_dict(), {"term": True}, 422)
    except Conflict:
        flash(_("This term is already in the glossary."), "error")
        return _render_admin(request.form.to_dict(), {"term": True}, 409)
    flash(_("The term is added to the glossary."), "success")
    return redirect(url_for("translation_web.admin"))


@translation_web.route("/admin/translation/glossary/<string:term_id>", methods=["POST"])
def glossary_update(term_id):
    _require_glossary_admin()
    try:
        data = _term_form(request.form, with_term=False)
        translation.glossary_update(term_id, **data)
    except (ValidationError, ValidationFailed):
        flash(_("Check the term and its translations."), "error")
        return _render_admin({}, {}, 422)
    except NotFound:
        flash(_("This term is no longer in the glossary."), "error")
    else:
        flash(_("The term is saved."), "success")
    return redirect(url_for("translation_web.admin"))


@translation_web.route("/admin/translation/glossary/<string:term_id>/delete", methods=["POST"])
def glossary_remove(term_id):
    _require_glossary_admin()
    try:
        translation.glossary_remove(term_id)
    except NotFound:
        flash(_("This term is no longer in the glossary."), "error")
    else:
        flash(_("The term is removed from the glossary."), "success")
    return redirect(url_for("translation_web.admin"))


def init_translation_web(app) -> None:
    app.register_blueprint(translation_web)
    app.jinja_env.globals.update(
        translation_state=translation_state,
        translate_script=translate_script,
        translation_link=translation_link,
        language_name=language_name,
    )
    before_render_template.connect(prepare_page, app)
