"""In a real browser, a member writes a post attaching a document of the community's bank
(uploaded through the API), in a stated language: the Language select starts on the
person's preferred language, the wall shows the attachment, its link opens the
document's page and its download gives back exactly the bytes uploaded."""

import time
import uuid
from pathlib import Path

from tests.browser.test_documents_flow import reload_until
from tests.browser.test_profile_visibility import sign_in, tid

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def upload_when_ready(api, cid: str, name: str, data: bytes, timeout: float = 15.0) -> dict:
    """Upload once the documents service knows the community (it learns it from events)."""
    deadline = time.time() + timeout
    while api.get(f"/api/v1/communities/{cid}/documents").status_code != 200:
        if time.time() > deadline:
            raise AssertionError("the document bank never opened")
        time.sleep(0.3)
    response = api.post(
        f"/api/v1/communities/{cid}/documents",
        params={"name": name},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_write_a_post_attaching_a_document_then_open_and_download_it(parvis, new_page):
    account = parvis.accounts["employee_fr"]
    api = parvis.api("employee_fr")
    me = api.get("/api/v1/me").json()
    created = api.post(
        "/api/v1/communities",
        json={"name": f"Atlas {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "private"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    document = upload_when_ready(api, cid, "plan.pdf", PDF)

    page = new_page()
    sign_in(page, account)
    page.goto(f"/communities/{cid}")
    reload_until(page, tid("composer-attachments"))

    # the Language select starts on the person's preferred language
    language = page.locator(tid("composer-language"))
    assert language.input_value() == (me.get("preferred_language") or "")
    page.fill(tid("composer-body"), "Voici le plan du projet")
    page.select_option(tid("composer-attachments"), value=[document["id"]])
    page.click(tid("composer-language-summary"))  # the small Language control opens
    page.select_option(tid("composer-language"), value="fr")
    with page.expect_navigation():
        page.click(tid("composer-submit"))

    post = page.locator(tid("post"), has_text="Voici le plan du projet")
    assert post.count() == 1
    attachment = post.locator(tid("post-attachment"))
    assert attachment.count() == 1
    assert attachment.get_attribute("data-document-id") == document["id"]
    assert attachment.locator(tid("post-attachment-link")).inner_text().strip() == "plan.pdf"
    stored = api.get(f"/api/v1/communities/{cid}/posts").json()["items"][0]
    assert stored["language"] == "fr"
    assert [a["id"] for a in stored["attachments"]] == [document["id"]]

    with page.expect_download() as info:
        attachment.locator(tid("post-attachment-download")).click()
    assert Path(info.value.path()).read_bytes() == PDF

    with page.expect_navigation():
        attachment.locator(tid("post-attachment-link")).click()
    assert page.url.endswith(f"/documents/{document['id']}")
    assert page.locator(tid("document")).get_attribute("data-document-id") == document["id"]
    assert page.locator(tid("document-name")).inner_text().strip() == "plan.pdf"
