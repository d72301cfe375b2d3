"""In a real browser, a project member shares a document: uploads it (the page sends the
raw file to the API with a progress bar), uploads a second version, downloads both and
gets exactly the bytes sent; restores the first as a new version; a colleague outside
the community gets the 404 page on the document's URL."""

import time
import uuid
from pathlib import Path

from tests.browser.test_profile_visibility import sign_in, tid

PDF_V1 = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PDF_V2 = PDF_V1 + b"%second version, with the supplier's changes\n"


def reload_until(page, selector: str, timeout: float = 15.0) -> None:
    """Reload until ``selector`` shows: the documents service learns memberships from events."""
    deadline = time.time() + timeout
    while page.locator(selector).count() == 0:
        if time.time() > deadline:
            raise AssertionError(f"{selector} never appeared on {page.url}")
        time.sleep(0.3)
        page.reload()


def downloaded(page, selector: str) -> tuple[bytes, str]:
    with page.expect_download() as info:
        page.locator(selector).click()
    download = info.value
    return Path(download.path()).read_bytes(), download.suggested_filename


def test_upload_two_versions_download_both_and_restore(parvis, new_page):
    member_account = parvis.accounts["employee_fr"]
    outsider_account = parvis.accounts["employee_es"]
    api = parvis.api("employee_fr")
    created = api.post(
        "/api/v1/communities",
        json={"name": f"Dossier Atlas {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "private"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]

    page = new_page()
    sign_in(page, member_account)
    page.goto(f"/communities/{cid}/documents")
    reload_until(page, tid("upload-input"))

    # --- upload: the page reloads once the file is stored
    with page.expect_navigation():
        page.set_input_files(
            tid("upload-input"), files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF_V1}]
        )
    row = page.locator(tid("document-item"), has_text="plan.pdf")
    assert row.count() == 1
    assert row.locator(tid("document-version")).inner_text().strip() == "1"
    data, filename = downloaded(
        page, f'{tid("document-item")}:has-text("plan.pdf") {tid("document-download")}'
    )
    assert data == PDF_V1 and filename == "plan.pdf"

    # --- a second version from the document's page
    with page.expect_navigation():
        row.locator(tid("document-link")).click()
    page.fill(tid("upload-comment"), "Supplier's changes")
    with page.expect_navigation():
        page.set_input_files(
            tid("upload-input"), files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF_V2}]
        )
    versions = page.locator(tid("version"))
    assert versions.count() == 2
    assert page.locator(tid("version-current")).count() == 1
    assert (
        page.locator(f'{tid("version")}[data-number="2"] {tid("version-comment")}').inner_text().strip()
        == "Supplier's changes"
    )

    latest, _ = downloaded(page, tid("download-latest"))
    assert latest == PDF_V2
    second, _ = downloaded(page, f'{tid("version")}[data-number="2"] {tid("version-download")}')
    first, _ = downloaded(page, f'{tid("version")}[data-number="1"] {tid("version-download")}')
    assert (first, second) == (PDF_V1, PDF_V2)

    # --- restore the first version as a new one
    with page.expect_navigation():
        page.locator(f'{tid("version")}[data-number="1"] {tid("version-restore")}').click()
    assert page.locator(tid("version")).count() == 3
    restored, _ = downloaded(page, tid("download-latest"))
    assert restored == PDF_V1

    # --- a refused file shows its error in the upload list, nothing is added
    page.set_input_files(
        tid("upload-input"),
        files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf"}],
    )
    failed = page.locator(f'{tid("upload-item")}[data-state="error"]')
    failed.wait_for()
    assert failed.get_attribute("data-status") == "422"
    page.reload()
    assert page.locator(tid("version")).count() == 3

    # --- a colleague outside the private community: the 404 page
    document_url = page.url
    outsider = new_page()
    sign_in(outsider, outsider_account)
    response = outsider.goto(document_url)
    assert response.status == 404
