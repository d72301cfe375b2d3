"""In a real browser, a member uses their privacy rights: posts on a community wall,
downloads their data (a ZIP archive with their profile and that post), then deletes
their account with their password; they are signed out for good, and a colleague
still sees the post, written by "Former member". An admin finds the erasure and the
sign-ins in the audit log; an employee without the role gets the 403 page there."""

import io
import json
import time
import uuid
import zipfile
from pathlib import Path

from tests.browser.test_profile_visibility import sign_in, tid

FORMER_MEMBER = "Former member"
WRONG_CREDENTIALS = "Wrong e-mail address or password."


def reload_until(page, selector: str, timeout: float = 15.0) -> None:
    """Reload until ``selector`` shows: the feed learns memberships and erasures from events."""
    deadline = time.time() + timeout
    while page.locator(selector).count() == 0:
        if time.time() > deadline:
            raise AssertionError(f"{selector} never appeared on {page.url}")
        time.sleep(0.3)
        page.reload()


def test_export_then_erase_my_account_and_the_audit_log(parvis, new_page):
    suffix = uuid.uuid4().hex[:8]
    name = f"Nora Leaving {suffix}"
    email = parvis.unique_email("leaving")
    password = "a long and private passphrase"
    post_text = f"My last word on the delivery plan {suffix}"
    colleague_account = parvis.accounts["employee_es"]

    # --- the scene: an account for the person who leaves, an open community to post in
    created = parvis.api("admin").post(
        "/api/v1/admin/people", json={"email": email, "display_name": name, "password": password}
    )
    assert created.status_code == 201, created.text
    person_id = created.json()["person"]["id"]
    community = parvis.api("employee_es").post(
        "/api/v1/communities", json={"name": f"Logistics {suffix}", "kind": "interest", "visibility": "open"}
    )
    assert community.status_code == 201, community.text
    community_url = f"/communities/{community.json()['id']}"

    # --- the person signs in, joins the community and writes a post on its wall
    page = new_page()
    sign_in(page, {"email": email, "password": password})
    page.goto(community_url)
    with page.expect_navigation():
        page.click(tid("join"))
    reload_until(page, tid("composer-body"))
    page.fill(tid("composer-body"), post_text)
    with page.expect_navigation():
        page.click(tid("composer-submit"))
    assert page.locator(tid("post"), has_text=post_text).count() == 1

    # --- "My data" on the profile edit page: a ZIP archive with the profile and the post
    page.click(tid("nav-me"))
    page.click(tid("profile-edit-link"))
    page.wait_for_selector(tid("privacy-settings"))
    with page.expect_download() as info:
        page.click(tid("privacy-export"))
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    data = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"manifest.json", "profile.json", "feed.json"} <= names, names
        manifest = json.loads(archive.read("manifest.json"))
        profile = json.loads(archive.read("profile.json"))
        feed = json.loads(archive.read("feed.json"))
    assert manifest["person_id"] == person_id
    assert "profile.json" in manifest["parts"] and "feed.json" in manifest["parts"]
    assert profile["profile"]["id"] == person_id
    assert profile["profile"]["email"] == email
    assert profile["profile"]["display_name"] == name
    assert [p["body"] for p in feed["posts"] if p["body"] == post_text] == [post_text]

    # --- the person deletes their account: the form insists on the box and the password
    page.goto("/me/edit")
    with page.expect_navigation():
        page.click(tid("privacy-erase"))
    page.wait_for_selector(tid("erase-form"))
    page.fill(tid("erase-password"), "not my password at all")
    page.check(tid("erase-confirm"))
    with page.expect_navigation():
        page.click(tid("erase-submit"))
    assert page.locator(tid("erase-form")).count() == 1  # refused, still there
    assert "Your password is not right." in page.inner_text(tid("erase-account"))
    page.fill(tid("erase-password"), password)
    page.check(tid("erase-confirm"))
    with page.expect_navigation():
        page.click(tid("erase-submit"))
    assert page.url.split("?")[0].endswith("/sign-in"), page.url
    assert page.locator(tid("flash-success")).count() == 1
    assert page.locator(tid("nav-me")).count() == 0  # signed out
    page.goto("/me")
    assert page.url.split("?")[0].endswith("/sign-in"), page.url

    # --- the old password opens nothing: the usual message
    page.fill(tid("sign-in-email"), email)
    page.fill(tid("sign-in-password"), password)
    with page.expect_navigation():
        page.click(tid("sign-in-submit"))
    assert page.inner_text(tid("sign-in-error")).strip() == WRONG_CREDENTIALS
    assert page.locator(tid("home-welcome")).count() == 0

    # --- a colleague still sees the post on the wall, written by a former member
    colleague = new_page()
    sign_in(colleague, colleague_account)
    colleague.goto(community_url)
    post = colleague.locator(tid("post"), has_text=post_text)
    deadline = time.time() + 15.0
    while True:
        assert post.count() == 1, colleague.content()
        author = post.locator(tid("post-author")).inner_text().strip()
        if author == FORMER_MEMBER or time.time() > deadline:
            break
        time.sleep(0.3)
        colleague.reload()
    assert author == FORMER_MEMBER
    assert name not in colleague.content()

    # --- the admin finds the erasure and the sign-ins in the audit log (filtered on the person)
    admin = new_page()
    sign_in(admin, parvis.accounts["admin"])
    admin.goto("/admin/audit")
    admin.wait_for_selector(tid("audit-filter-form"))
    admin.fill(tid("audit-filter-subject"), person_id)
    with admin.expect_navigation():
        admin.click(tid("audit-filter-submit"))
    rows = admin.locator(tid("audit-row"))
    actions = [rows.nth(i).get_attribute("data-action") for i in range(rows.count())]
    subjects = {rows.nth(i).get_attribute("data-subject-id") for i in range(rows.count())}
    assert subjects == {person_id}, subjects
    assert "person_erased" in actions, actions
    assert actions.count("sign_in") >= 1, actions
    erased = admin.locator(f'{tid("audit-row")}[data-action="person_erased"]')
    assert erased.first.locator(tid("audit-action")).inner_text().strip() == "Account erased"
    # the erasure is newer than every sign-in (newest first)
    assert actions.index("person_erased") < actions.index("sign_in")
    # the erased name shows nowhere in the log
    assert name not in admin.content()

    # filtered on the event instead: the erasure is listed, once
    admin.goto("/admin/audit?action=person_erased")
    assert admin.locator(f'{tid("audit-row")}[data-subject-id="{person_id}"]').count() == 1

    # --- an employee without an admin role: the 403 page
    employee = new_page()
    sign_in(employee, parvis.accounts["employee_de"])
    response = employee.goto("/admin/audit")
    assert response.status == 403
    assert employee.get_attribute(tid("error-page"), "data-status") == "403"
    assert employee.locator(tid("audit-list")).count() == 0
    assert person_id not in employee.content()
