"""In a real browser, the bell's count changes without a reload (issue 13): the page's
script follows the live hub's stream (gateway/live), which the launcher started beside the
gateway, on another port; the page's CSP lets it, and nothing is refused on the way."""

import re
import time
import uuid

import requests

from tests.browser.test_profile_visibility import sign_in, tid


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
