"""In a real browser, a project team runs a private community end to end: an employee
creates it, lets the supplier's guests in and invites one; both post and comment, the
guest likes; a colleague outside it gets the 404 page on its URL."""

import re
import time
import uuid

from tests.browser.test_profile_visibility import sign_in, tid


def reload_until(page, selector: str, timeout: float = 15.0) -> None:
    """Reload until ``selector`` shows: the feed learns memberships from events."""
    deadline = time.time() + timeout
    while page.locator(selector).count() == 0:
        if time.time() > deadline:
            raise AssertionError(f"{selector} never appeared on {page.url}")
        time.sleep(0.3)
        page.reload()


def test_private_project_community_with_a_guest(parvis, new_page):
    manager_account = parvis.accounts["employee_fr"]
    guest_account = parvis.accounts["guest"]
    outsider_account = parvis.accounts["employee_es"]
    name = f"Projet Atlas {uuid.uuid4().hex[:6]}"

    # --- an employee creates a private project community
    manager = new_page()
    sign_in(manager, manager_account)
    manager.click(tid("nav-communities"))
    manager.fill(tid("community-create-name"), name)
    manager.select_option(tid("community-create-kind"), "project")
    manager.select_option(tid("community-create-visibility"), "private")
    manager.fill(tid("community-create-description"), "Livraisons avec notre fournisseur")
    with manager.expect_navigation():
        manager.click(tid("community-create-submit"))
    assert manager.locator(tid("community-name")).inner_text().strip() == name
    community_url = manager.url
    assert re.search(r"/communities/[0-9a-f-]{36}$", community_url)

    # --- lets the supplier's guests in, and invites the guest found in the directory
    manager.click(tid("tab-manage"))
    manager.locator(tid("allowed-org")).first.check()
    with manager.expect_navigation():
        manager.click(tid("allowed-orgs-submit"))
    if manager.locator(tid("invite-search-q")).count() == 0:
        manager.click(tid("tab-manage"))
    manager.fill(tid("invite-search-q"), guest_account["display_name"].split()[0])
    with manager.expect_navigation():
        manager.click(tid("invite-search-submit"))
    candidate = manager.locator(tid("invite-candidate"), has_text=guest_account["display_name"])
    with manager.expect_navigation():
        candidate.locator(tid("invite-candidate-submit")).click()
    assert manager.locator(tid("flash-error")).count() == 0

    # --- the guest accepts the invitation and posts on the wall
    guest = new_page()
    sign_in(guest, guest_account)
    guest.click(tid("nav-communities"))
    invitation = guest.locator(tid("invitation"), has_text=name)
    with guest.expect_navigation():
        invitation.locator(tid("invitation-accept")).click()
    guest.goto(community_url)
    reload_until(guest, tid("composer-body"))
    guest.fill(tid("composer-body"), "Le planning de livraison est prêt pour la semaine 12.")
    with guest.expect_navigation():
        guest.click(tid("composer-submit"))
    post = guest.locator(tid("post"), has_text="planning de livraison")
    assert post.count() == 1

    # --- the manager sees it and comments
    manager.goto(community_url)
    reload_until(manager, f'{tid("post")}:has-text("planning de livraison")')
    post = manager.locator(tid("post"), has_text="planning de livraison")
    post.locator(tid("comment-open")).click()  # the compact comment box opens in place
    post.locator(tid("comment-body-input")).fill("Merci, c'est validé de notre côté.")
    with manager.expect_navigation():
        post.locator(tid("comment-submit")).click()

    # --- the guest sees the comment and likes the post
    guest.goto(community_url)
    post = guest.locator(tid("post"), has_text="planning de livraison")
    assert "validé de notre côté" in post.locator(tid("comments")).inner_text()
    with guest.expect_navigation():
        post.locator(tid("post-like")).click()
    post = guest.locator(tid("post"), has_text="planning de livraison")
    assert post.locator(tid("post-like")).get_attribute("aria-pressed") == "true"
    assert "1" in post.locator(tid("post-likers")).inner_text()

    # --- a colleague outside the private community: the same 404 page as a missing one
    outsider = new_page()
    sign_in(outsider, outsider_account)
    response = outsider.goto(community_url)
    assert response.status == 404
    assert outsider.locator(tid("error-page")).get_attribute("data-status") == "404"
    assert name not in outsider.content()
    missing = outsider.goto(re.sub(r"[0-9a-f-]{36}$", str(uuid.uuid4()), community_url))
    assert missing.status == 404
    assert name not in outsider.content()
