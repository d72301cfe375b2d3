"""In a real browser, the bell's count changes without a reload (issue 13): the page's
script follows the live hub's stream (gateway/live), which the launcher started beside the
gateway, on another port; the page's CSP lets it, and nothing is refused on the way. The
mention also reaches the platform's SMTP server on loopback (``parvis.smtp``) as a mail
whose unsubscribe link works signed out."""

import re
import time
import uuid

import requests

from tests.browser.test_profile_visibility import sign_in, tid
from tests.browser.test_wall_moderation import retry
from tests.support import wait_until


def mail_about(parvis, address: str, post_id: str):
    """The first mail to ``address`` that links to the post, or None."""
    for message in parvis.smtp.messages(address):
        if post_id in message.get_body(("plain",)).get_content():
            return message
    return None


def streams_open(parvis) -> float:
    metrics = requests.get(parvis.platform.live_url + "/metrics", timeout=10).text
    return float(re.search(r"^parvis_live_streams (\S+)$", metrics, re.M).group(1))


def test_the_bell_counts_an_invitation_without_a_reload(parvis, new_page):
    person = parvis.accounts["employee_de"]
    page = new_page(locale="en-GB")
    refused = []
    page.on("console", lambda message: message.type == "error" and refused.append(message.text))
    sign_in(page, person)
    bell = page.locator(tid("nav-notifications"))
    assert bell.get_attribute("data-live-url") == parvis.platform.live_url + "/live/notifications"
    badge = page.locator(tid("bell-count"))
    before = int(badge.inner_text()) if badge.count() else 0
    deadline = time.time() + 10
    while streams_open(parvis) < 1:  # the page's stream is open
        assert time.time() < deadline, "the page opened no stream"
        time.sleep(0.1)
    page.evaluate("window.parvisNotReloaded = true")

    admin = parvis.api("admin")
    made = admin.post(
        "/api/v1/communities",
        json={"name": f"Live {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "private"},
    )
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    invited = admin.post(f"/api/v1/communities/{cid}/invitations", json={"person_id": person["id"]})
    assert invited.status_code == 201, invited.text

    page.wait_for_function(
        "n => (document.querySelector('[data-testid=bell-count]') || {}).textContent === String(n)",
        arg=before + 1,
        timeout=5_000,
    )
    assert page.evaluate("window.parvisNotReloaded") is True
    # its spoken label in the person's language, as the page renders it
    assert badge.get_attribute("aria-label") == f"{before + 1} ungelesen"
    assert refused == [], refused


def test_louise_mentions_olivia_who_hears_it_live_reads_it_in_english_and_is_caught_up(parvis, new_page):
    """Issue 13's story: Louise mentions Olivia in a French post; Olivia's bell, open in
    another browser context, counts it without a reload; she opens the notification, reads
    the post translated into English, and her unread count goes back to what it was."""
    louise, olivia = parvis.accounts["employee_fr"], parvis.accounts["employee_en"]
    louise_api = parvis.api("employee_fr")
    made = louise_api.post(
        "/api/v1/communities",
        json={"name": f"Achats {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "open"},
    )
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert parvis.api("employee_en").post(f"/api/v1/communities/{cid}/join").status_code == 200

    page = new_page(locale="en-GB")
    sign_in(page, olivia)
    badge = page.locator(tid("bell-count"))
    before = int(badge.inner_text()) if badge.count() else 0
    deadline = time.time() + 10
    while streams_open(parvis) < 1:
        assert time.time() < deadline, "the page opened no stream"
        time.sleep(0.1)
    page.evaluate("window.parvisNotReloaded = true")

    mention = f"@[{olivia['display_name']}]({olivia['id']})"
    body = f"Bonjour {mention}, voici le rapport sur le projet. Merci beaucoup !"
    post = retry(lambda: louise_api.post(f"/api/v1/communities/{cid}/posts", json={"body": body}))
    olivia_api = parvis.api("employee_en")

    def told() -> bool:
        items = olivia_api.get("/api/v1/notifications?unread_only=true").json()["items"]
        return any(i["kind"] == "mention" and i["post_id"] == post["id"] for i in items)

    deadline = time.time() + 20
    while not told():  # the notifications service has written it
        assert time.time() < deadline, "no notification of the mention"
        time.sleep(0.1)
    # from then on the open page shows it within 2 s, without a reload
    page.wait_for_function(
        "n => (document.querySelector('[data-testid=bell-count]') || {}).textContent === String(n)",
        arg=before + 1,
        timeout=2_000,
    )
    assert page.evaluate("window.parvisNotReloaded") is True
    # the mail of it went to the SMTP server on loopback before she reads it (the
    # platform mails at once even to someone in the app: PARVIS_MAIL_ACTIVE_MINUTES=0)
    mail = wait_until(lambda: mail_about(parvis, olivia["email"], post["id"]), timeout=30)

    page.locator(tid("nav-notifications")).click()
    entry = page.locator(f'{tid("notification")}[data-kind="mention"][data-read="no"]').first
    assert f"{louise['display_name']} mentioned you in a post" in entry.inner_text()
    with page.expect_navigation():
        entry.locator(tid("notification-open")).click()
    assert page.url.endswith(f"/posts/{post['id']}")
    card = page.locator(f'{tid("post")}[data-post-id="{post["id"]}"]')
    card.locator(tid("post-translate")).first.click()
    page.wait_for_selector(f"{tid('post')} {tid('post-body')}[data-translated]", timeout=60_000)
    english = card.locator(tid("post-body")).first.inner_text()
    assert "report" in english and "voici" not in english
    # read: the count is back where it was, on the page and in the API
    assert olivia_api.get("/api/v1/notifications/unread-count").json()["unread"] == before
    shown = page.locator(tid("bell-count"))
    assert (int(shown.inner_text()) if shown.count() else 0) == before

    # the mail is in English, and its unsubscribe link works in a browser not signed in
    assert mail["Subject"] == f"{louise['display_name']} mentioned you in a post · {made.json()['name']}"
    assert mail["Content-Language"] == "en"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    footer = re.search(r"http\S+/mail/unsubscribe/\S+", mail.get_body(("plain",)).get_content()).group(0)
    assert footer.startswith(parvis.base_url)
    visitor = new_page(locale="en-GB")
    visitor.goto(footer)
    with visitor.expect_navigation():
        visitor.locator(tid("unsubscribe-confirm")).click()
    assert "no longer receive" in visitor.locator(tid("unsubscribe-done")).inner_text()
    assert "Mentions of me" in visitor.locator(tid("unsubscribe")).inner_text()
    frequencies = olivia_api.get("/api/v1/notifications/mail-preferences").json()["frequencies"]
    assert frequencies["mention"] == "never"
