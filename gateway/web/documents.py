"""Web pages of a community's documents and pages (server-rendered, no inline script).

Uploads are sent by ``static/documents.js`` straight to the REST API (the raw
file as the request body, with a progress bar); every other action is a plain
form. Downloads go through :func:`gateway.files.documents.download` (streamed,
range requests, attachment unless an image or PDF preview asks for inline).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from parvis_contracts import limits, markdown
from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .. import auth
from ..calls import communities, documents, parallel
from ..calls.identity import people_cards
from ..files import documents as files
from .common import is_employee, me, raise_failed

documents_web = Blueprint("documents_web", __name__)

TITLE_MAX = limits.PAGE_TITLE_MAX
BODY_MAX = limits.PAGE_BODY_MAX
COMMENT_MAX = limits.VERSION_COMMENT_MAX


def title_error() -> str:
    return _("Give the page a title (at most %(most)d characters).", most=TITLE_MAX)


# ------------------------------------------------------------------ helpers


def _with_community(community_id: str, **calls) -> dict:
    """The community (for the header) and this page's calls, in parallel; 404s first."""
    results = parallel(community=communities.get_community.pending(community_id), **calls)
    raise_failed(results, "community", *calls)
    return results


def _header(community: dict, tab: str) -> dict:
    is_manager = community.get("my_role") == "manager"
    return {
        "community": community,
        "tab": tab,
        "is_manager": is_manager,
        "can_moderate": is_manager or (auth.is_admin() and bool(community.get("my_role"))),
        "is_employee": is_employee(),
        "me": me(),
    }


def _flash_refusal(exc) -> None:
    if isinstance(exc, Conflict):
        flash(_("This name is already used here, or the folder is not empty."), "error")
    elif isinstance(exc, ValidationFailed):
        flash(_("This is not valid: please check the name and try again."), "error")
    else:
        flash(_("You are not allowed to do this."), "error")


def _attempt(call, success: str) -> bool:
    """Run a write; flash success or the refusal (a 404 still goes to the 404 page)."""
    try:
        call()
    except (ValidationFailed, Conflict, Forbidden) as exc:
        _flash_refusal(exc)
        return False
    flash(success, "success")
    return True


def _text(name: str, limit: int) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def _folder_url(community_id: str, folder_id: str | None) -> str:
    if folder_id:
        return url_for("documents_web.folder", community_id=community_id, folder_id=folder_id)
    return url_for("documents_web.folder", community_id=community_id)


def _upload_limit_mb() -> str:
    """Shown next to the upload zone (the service decides; this is the documented default)."""
    from parvis_contracts import settings

    return f"{settings.value('PARVIS_DOCUMENTS_MAX_BYTES') / (1024 * 1024):g}"


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed("Not a number.", {name: ["Not a number."]}) from None
    if number < 1:
        raise ValidationFailed("Not a valid number.", {name: ["Must be at least 1."]})
    return number


# ------------------------------------------------------------------ folders


@documents_web.route("/communities/<string:community_id>/documents")
@documents_web.route("/communities/<string:community_id>/documents/folders/<string:folder_id>")
def folder(community_id, folder_id=None):
    results = _with_community(community_id, listing=documents.list_folder.pending(community_id, folder_id))
    listing = results["listing"]
    return render_template(
        "documents/folder.html",
        listing=listing,
        folder=listing.get("folder"),
        people=people_cards(d.get("updated_by") for d in listing.get("documents") or []),
        upload_limit_mb=_upload_limit_mb(),
        **_header(results["community"], "documents"),
    )


@documents_web.route("/communities/<string:community_id>/documents/folders", methods=["POST"])
def create_folder(community_id):
    parent_id = request.form.get("parent_id") or None
    name = _text("name", TITLE_MAX + 1)
    _attempt(
        lambda: documents.create_folder(community_id, parent_id, name),
        _("Folder created."),
    )
    return redirect(_folder_url(community_id, parent_id))


@documents_web.route("/folders/<string:folder_id>/rename", methods=["POST"])
def rename_folder(folder_id):
    community_id = request.form.get("community_id") or ""
    name = _text("name", TITLE_MAX + 1)
    _attempt(lambda: documents.rename_folder(folder_id, name), _("Folder renamed."))
    return redirect(_folder_url(community_id, folder_id) if community_id else url_for("community.directory"))


@documents_web.route("/folders/<string:folder_id>/delete", methods=["POST"])
def delete_folder(folder_id):
    community_id = request.form.get("community_id") or ""
    parent_id = request.form.get("parent_id") or None
    if _attempt(lambda: documents.delete_folder(folder_id), _("Folder deleted.")):
        return redirect(_folder_url(community_id, parent_id))
    return redirect(_folder_url(community_id, folder_id))


@documents_web.route("/communities/<string:community_id>/documents/bin")
def bin_page(community_id):
    results = _with_community(community_id, bin=documents.list_bin.pending(community_id))
    items = results["bin"]["items"]
    return render_template(
        "documents/bin.html",
        items=items,
        people=people_cards(d.get("deleted_by") for d in items),
        **_header(results["community"], "documents"),
    )


# ------------------------------------------------------------------ documents


@documents_web.route("/documents/<string:document_id>")
def document(document_id):
    doc = documents.get_document(document_id)
    results = _with_community(doc["community_id"])
    versions = doc.get("versions") or []
    people = people_cards([v.get("author_id") for v in versions] + [doc.get("created_by")])
    listing = None
    if doc.get("can_write") or doc.get("can_edit"):
        try:
            listing = documents.list_folder(doc["community_id"])
        except (NotFound, Forbidden):
            listing = None
    return render_template(
        "documents/document.html",
        doc=doc,
        versions=versions,
        people=people,
        root_folders=(listing or {}).get("folders") or [],
        upload_limit_mb=_upload_limit_mb(),
        **_header(results["community"], "documents"),
    )


@documents_web.route("/documents/<string:document_id>/download")
def download(document_id):
    version = _int_arg("version")
    disposition = "inline" if request.args.get("disposition") == "inline" else "attachment"
    return files.download(document_id, version, disposition)


@documents_web.route("/documents/<string:document_id>/versions/<int:number>/restore", methods=["POST"])
def restore_version(document_id, number):
    comment = _text("comment", COMMENT_MAX)
    _attempt(
        lambda: documents.restore_version(document_id, number, comment),
        _("Version %(number)s is the latest again.", number=number),
    )
    return redirect(url_for("documents_web.document", document_id=document_id))


@documents_web.route("/documents/<string:document_id>/rename", methods=["POST"])
def rename_document(document_id):
    name = _text("name", TITLE_MAX + 1)
    _attempt(
        lambda: documents.rename_document(document_id, name),
        _("Document renamed."),
    )
    return redirect(url_for("documents_web.document", document_id=document_id))


@documents_web.route("/documents/<string:document_id>/move", methods=["POST"])
def move_document(document_id):
    folder_id = request.form.get("folder_id") or None
    _attempt(
        lambda: documents.move_document(document_id, folder_id),
        _("Document moved."),
    )
    return redirect(url_for("documents_web.document", document_id=document_id))


@documents_web.route("/documents/<string:document_id>/delete", methods=["POST"])
def delete_document(document_id):
    doc = documents.get_document(document_id)
    if _attempt(
        lambda: documents.delete_document(document_id),
        _("The document is in the bin."),
    ):
        return redirect(_folder_url(doc["community_id"], doc.get("folder_id")))
    return redirect(url_for("documents_web.document", document_id=document_id))


@documents_web.route("/documents/<string:document_id>/restore", methods=["POST"])
def restore_document(document_id):
    community_id = request.form.get("community_id") or ""
    if _attempt(lambda: documents.restore_document(document_id), _("The document is back.")):
        return redirect(url_for("documents_web.document", document_id=document_id))
    return redirect(
        url_for("documents_web.bin_page", community_id=community_id)
        if community_id
        else url_for("community.directory")
    )


# ------------------------------------------------------------------ pages


@documents_web.route("/communities/<string:community_id>/pages", methods=["GET", "POST"])
def pages(community_id):
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {
            "title": _text("title", TITLE_MAX + 1),
            "body": (request.form.get("body") or "")[: BODY_MAX + 1],
        }
        try:
            created = documents.create_page(community_id, **values)
        except (ValidationFailed, Conflict, Forbidden) as exc:
            status = 409 if isinstance(exc, Conflict) else 422 if isinstance(exc, ValidationFailed) else 403
            errors = (
                {"title": [_("A page with this title exists already.")]}
                if isinstance(exc, Conflict)
                else {"title": [title_error()]}
            )
            if isinstance(exc, Forbidden):
                errors = {}
                flash(_("You are not allowed to do this."), "error")
        else:
            flash(_("Page created."), "success")
            return redirect(url_for("documents_web.page", page_id=created["id"]))
    results = _with_community(community_id, pages=documents.list_pages.pending(community_id))
    listing = results["pages"]
    if not values and request.args.get("title"):
        values = {"title": request.args["title"][:TITLE_MAX], "body": ""}
    return render_template(
        "documents/pages.html",
        listing=listing,
        errors=errors,
        values=values,
        people=people_cards(p.get("updated_by") for p in listing["items"]),
        **_header(results["community"], "pages"),
    ), status


@documents_web.route("/pages/<string:page_id>")
def page(page_id):
    revision = _int_arg("revision")
    wiki = documents.get_page(page_id, revision)
    results = _with_community(wiki["community_id"])
    return render_template(
        "documents/page.html",
        wiki=wiki,
        people=people_cards([wiki.get("updated_by")]),
        **_header(results["community"], "pages"),
    )


@documents_web.route("/pages/<string:page_id>/edit", methods=["GET", "POST"])
def edit_page(page_id):
    wiki = documents.get_page(page_id)
    values = {
        "title": wiki.get("title") or "",
        "body": wiki.get("body") or "",
        "base_revision": wiki.get("revision"),
        "comment": "",
    }
    errors, preview, status = {}, None, 200
    if request.method == "POST":
        values = {
            "title": _text("title", TITLE_MAX + 1),
            "body": (request.form.get("body") or "")[: BODY_MAX + 1],
            "comment": _text("comment", COMMENT_MAX),
            "base_revision": request.form.get("base_revision", type=int),
        }
        if request.form.get("action") == "preview":
            preview = markdown.to_html(values["body"])
        else:
            try:
                documents.update_page(
                    page_id, values["title"], values["body"], values["base_revision"] or 0, values["comment"]
                )
            except Conflict:
                status = 409
                errors = {
                    "body": [
                        _(
                            "Someone saved this page while you were editing. Your "
                            "text is below: compare with the latest revision, then "
                            "save again."
                        )
                    ]
                }
                values["base_revision"] = wiki.get("revision")
            except ValidationFailed:
                status = 422
                errors = {"title": [title_error()]}
            except Forbidden:
                flash(_("You are not allowed to do this."), "error")
                return redirect(url_for("documents_web.page", page_id=page_id))
            else:
                flash(_("Page saved."), "success")
                return redirect(url_for("documents_web.page", page_id=page_id))
    results = _with_community(wiki["community_id"])
    return render_template(
        "documents/page_edit.html",
        wiki=wiki,
        values=values,
        errors=errors,
        preview=preview,
        **_header(results["community"], "pages"),
    ), status


@documents_web.route("/pages/<string:page_id>/history")
def page_history(page_id):
    history = documents.page_history(page_id)
    wiki = documents.get_page(page_id)
    results = _with_community(wiki["community_id"])
    items = history["items"]
    return render_template(
        "documents/page_history.html",
        wiki=wiki,
        items=items,
        people=people_cards(i.get("author_id") for i in items),
        **_header(results["community"], "pages"),
    )


@documents_web.route("/pages/<string:page_id>/diff")
def page_diff(page_id):
    wiki = documents.get_page(page_id)
    latest = int(wiki.get("revision") or 1)
    to_revision = _int_arg("to") or latest
    from_revision = _int_arg("from") or max(1, to_revision - 1)
    diff = documents.diff_page(page_id, from_revision, to_revision)
    results = _with_community(wiki["community_id"])
    return render_template(
        "documents/page_diff.html",
        wiki=wiki,
        diff=diff,
        from_revision=from_revision,
        to_revision=to_revision,
        **_header(results["community"], "pages"),
    )


@documents_web.route("/pages/<string:page_id>/delete", methods=["POST"])
def delete_page(page_id):
    wiki = documents.get_page(page_id)
    if _attempt(lambda: documents.delete_page(page_id), _("Page deleted.")):
        return redirect(url_for("documents_web.pages", community_id=wiki["community_id"]))
    return redirect(url_for("documents_web.page", page_id=page_id))


__all__ = ["documents_web"]
