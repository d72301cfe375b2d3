"""In a real browser, the wall's moderation screens: an author previews, publishes and
edits a post and reads its history; a member reports a comment; the manager hides it
from the report queue; a hashtag opens the tag page."""

import time
import uuid

from tests.browser.test_community_flow import reload_until
from tests.browser.test_profile_visibility import sign_in, tid


def retry(call, timeout: float = 15.0):
    """Retry an API write until it answers 2xx: the feed learns memberships from events."""
    deadline = time.time() + timeout
    while True:
        response = call()
        if response.status_code < 300:
            return response.json()
        if time.time() > deadline:
            raise AssertionError(f"{response.status_code}: {response.text}")
        time.sleep(0.3)


def test_edit_history_report_hide_and_hashtag(parvis, new_page):
    manager_key, author_key, member_key = "employee_de", "employee_en", "employee_it"
    suffix = uuid.uuid4().hex[:6]
    tag = f"rollout{suffix}"
    name = f"Rollout {suffix}"

    # --- set-up through the API: an open community, the author and the member join it
    manager_api = parvis.api(manager_key)
    created = manager_api.post(
        "/api/v1/communities", json={"name": name, "kind": "project", "visibility": "open"}
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    for key in (author_key, member_key):
        joined = parvis.api(key).post(f"/api/v1/communities/{cid}/join")
        assert joined.status_code == 200, joined.text
    community_url = f"/communities/{cid}"

    # --- the author previews (in place, through wall.js), publishes, then edits
    author = new_page()
    sign_in(author, parvis.accounts[author_key])
    author.goto(community_url)
    reload_until(author, tid("composer-body"))
    author.fill(tid("composer-body"), f"Go-live plan **draft** #{tag}")
    author.click(tid("composer-preview"))
    preview = author.locator(tid("composer-preview-output"))
    preview.locator("strong").wait_for()
    assert preview.locator("strong").inner_text() == "draft"
    assert author.url.endswith(community_url)  # shown in place, no navigation
    with author.expect_navigation():
        author.click(tid("composer-submit"))
    # the first post may race the feed's read model of the new membership
    if author.locator(tid("post"), has_text="Go-live plan").count() == 0:
        retry(
            lambda: parvis.api(author_key).post(
                f"/api/v1/communities/{cid}/posts", json={"body": f"Go-live plan **draft** #{tag}"}
            )
        )
        author.goto(community_url)
    post = author.locator(tid("post"), has_text="Go-live plan")
    assert post.count() == 1
    post_id = post.get_attribute("data-post-id")
    assert post.locator(tid("post-edited")).count() == 0
    with author.expect_navigation():
        post.locator(tid("post-edit")).click()
    assert author.locator(tid("edit-body")).input_value() == f"Go-live plan **draft** #{tag}"
    author.fill(tid("edit-body"), f"Go-live plan **final** #{tag}")
    with author.expect_navigation():
        author.click(tid("edit-submit"))
    assert author.locator(tid("flash-success")).count() == 1
    post = author.locator(f'{tid("post")}[data-post-id="{post_id}"]')
    assert "final" in post.locator(tid("post-body")).inner_text()
    with author.expect_navigation():
        post.locator(tid("post-edited")).click()
    versions = author.locator(tid("version"))
    assert versions.count() == 2
    assert versions.nth(0).get_attribute("data-version") == "2"
    assert "final" in versions.nth(0).locator(tid("version-body")).inner_text()
    assert "draft" in versions.nth(1).locator(tid("version-body")).inner_text()

    # the author also comments (the comment the member will report)
    comment = retry(
        lambda: parvis.api(author_key).post(
            f"/api/v1/posts/{post_id}/comments", json={"body": "Whoever disagrees is a fool"}
        )
    )

    # --- the member reports the comment, with a reason
    member = new_page()
    sign_in(member, parvis.accounts[member_key])
    member.goto(community_url)
    reload_until(member, f'{tid("comment")}[data-comment-id="{comment["id"]}"]')
    item = member.locator(f'{tid("comment")}[data-comment-id="{comment["id"]}"]')
    item.locator(tid("comment-report-toggle")).click()
    item.locator(tid("comment-report-reason")).fill("Insulting")
    with member.expect_navigation():
        item.locator(tid("comment-report-submit")).click()
    assert member.locator(tid("flash-success")).count() == 1

    # --- the manager opens the queue from the community page and hides the comment
    manager = new_page()
    sign_in(manager, parvis.accounts[manager_key])
    manager.goto(community_url)
    with manager.expect_navigation():
        manager.click(tid("tab-reports"))
    report = manager.locator(f'{tid("report")}[data-target-id="{comment["id"]}"]')
    assert report.count() == 1
    assert "Insulting" in report.locator(tid("report-reason")).inner_text()
    assert "fool" in report.locator(tid("report-target-body")).inner_text()
    with manager.expect_navigation():
        report.locator(tid("report-hide")).click()
    assert manager.locator(tid("flash-success")).count() == 1
    assert manager.locator(f'{tid("report")}[data-target-id="{comment["id"]}"]').count() == 0
    member.goto(community_url)
    assert member.locator(f'{tid("comment")}[data-comment-id="{comment["id"]}"]').count() == 0
    assert "fool" not in member.content()

    # --- the hashtag opens the tag page (the rendered link, else its address)
    member_post = member.locator(f'{tid("post")}[data-post-id="{post_id}"]')
    link = member_post.locator(f'{tid("post-body")} a[href="/tags/{tag}"]')
    if link.count():
        with member.expect_navigation():
            link.first.click()
    else:
        member.goto(f"/tags/{tag}")
    assert member.url.endswith(f"/tags/{tag}")
    assert member.locator(tid("list-heading")).inner_text().strip() == f"#{tag}"
    listed = member.locator(tid("post"))
    assert listed.count() == 1 and listed.first.get_attribute("data-post-id") == post_id
