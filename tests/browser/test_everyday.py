"""In a real browser, everyday posting and reading: the mention picker driven with the
keyboard alone (ARIA combobox: arrows, Enter, Escape), a must-read announcement pinned on
home until "I have read it", and times relative in the reader's language with the exact
time in the reader's time zone (and the profile form proposing the browser's zone)."""

import re
import time
import uuid

from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.browser.test_documents_flow import reload_until
from tests.browser.test_profile_visibility import sign_in, tid


def community_of(parvis, manager_key: str, *member_keys: str) -> str:
    """A private community of ``manager_key`` with ``member_keys`` invited and accepted."""
    api = parvis.api(manager_key)
    created = api.post(
        "/api/v1/communities",
        json={"name": f"Everyday {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "private"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    for key in member_keys:
        person_id = parvis.api(key).get("/api/v1/me").json()["id"]
        invited = api.post(f"/api/v1/communities/{cid}/invitations", json={"person_id": person_id})
        assert invited.status_code == 201, invited.text
        accepted = parvis.api(key).post(f"/api/v1/me/invitations/{cid}/accept")
        assert accepted.status_code == 200, accepted.text
    return cid


def until(check, timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError("the platform never got there")
        time.sleep(0.3)


def test_the_mention_picker_works_with_the_keyboard_alone(parvis, new_page):
    cid = community_of(parvis, "employee_fr", "employee_es", "employee_de")
    author = parvis.api("employee_fr")
    lucia = parvis.api("employee_es").get("/api/v1/me").json()
    # identity learns the membership from events: wait until it offers Lucía
    until(
        lambda: any(
            item["id"] == lucia["id"]
            for item in author.get(f"/api/v1/communities/{cid}/mentionable", params={"q": "luc"})
            .json()
            .get("items", [])
        )
    )

    page = new_page("fr-FR")
    sign_in(page, parvis.accounts["employee_fr"])
    page.goto(f"/communities/{cid}")
    reload_until(page, tid("composer-body"))
    text = page.locator(tid("composer-body"))
    assert text.get_attribute("role") == "combobox"
    assert text.get_attribute("aria-expanded") == "false"

    text.focus()
    page.keyboard.type("Merci @j")
    options = page.locator(tid("mention-option"))
    options.first.wait_for(timeout=ACTION_TIMEOUT_MS)
    assert text.get_attribute("aria-expanded") == "true"
    assert "Jonas Weber" in page.locator(tid("mention-list")).inner_text()
    page.keyboard.press("Escape")  # Escape closes the list, the text stays
    page.wait_for_selector(tid("mention-list"), state="hidden")
    assert text.input_value() == "Merci @j"
    assert text.get_attribute("aria-expanded") == "false"

    page.keyboard.press("Backspace")
    page.keyboard.type("lu")
    options.first.wait_for(timeout=ACTION_TIMEOUT_MS)
    names = options.all_inner_texts()
    assert any("Lucía García" in name for name in names)
    assert not any("Louise Bernard" in name for name in names)  # never the author herself
    target = next(i for i, name in enumerate(names) if "Lucía García" in name)
    for _ in range(target):
        page.keyboard.press("ArrowDown")
    active = text.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert page.locator(f"#{active}").get_attribute("data-person-id") == lucia["id"]
    page.keyboard.press("Enter")  # inserts the mention, no new line
    assert text.input_value() == f"Merci @[Lucía García]({lucia['id']}) "
    page.keyboard.type("pour le plan.")
    with page.expect_navigation():
        page.click(tid("composer-submit"))

    post = page.locator(tid("post"), has_text="pour le plan")
    assert post.count() == 1
    assert post.locator(f'a[href="/people/{lucia["id"]}"]').inner_text() == "@Lucía García"
    stored = author.get(f"/api/v1/communities/{cid}/posts").json()["items"][0]
    assert stored["mentions"] == [lucia["id"]]


def test_a_must_read_announcement_stays_pinned_on_home_until_read(parvis, new_page):
    cid = community_of(parvis, "employee_fr", "employee_en")
    reader = parvis.api("employee_en")
    until(lambda: reader.get(f"/api/v1/communities/{cid}/posts").status_code == 200)
    news = parvis.api("employee_fr").post(
        f"/api/v1/communities/{cid}/posts",
        json={"body": f"Safety drill on Friday {uuid.uuid4().hex[:4]}", "kind": "announcement"},
    )
    assert news.status_code == 201, news.text
    news_id = news.json()["id"]

    page = new_page("en-GB")
    sign_in(page, parvis.accounts["employee_en"])
    pinned = page.locator(f'{tid("pinned-post")}[data-post-id="{news_id}"]')
    reload_until(page, f'{tid("pinned-post")}[data-post-id="{news_id}"]')
    assert pinned.count() == 1
    page.goto(f"/communities/{cid}")
    assert page.locator(f'{tid("pinned-post")}[data-post-id="{news_id}"]').count() == 1
    page.goto("/")
    with page.expect_navigation():
        pinned.locator(tid("pinned-mark-read")).click()
    page.wait_for_selector(tid("home-welcome"))  # back on home
    assert page.locator(f'{tid("pinned-post")}[data-post-id="{news_id}"]').count() == 0
    page.goto(f"/communities/{cid}")
    assert page.locator(f'{tid("pinned-post")}[data-post-id="{news_id}"]').count() == 0
    unread = reader.get("/api/v1/me/announcements").json()["items"]
    assert news_id not in [p["id"] for p in unread]


def test_times_are_relative_in_the_readers_language_and_exact_in_their_zone(parvis, browser):
    cid = community_of(parvis, "employee_fr", "employee_es")
    reader = parvis.api("employee_es")
    before = reader.get("/api/v1/me").json().get("time_zone")
    until(lambda: reader.get(f"/api/v1/communities/{cid}/posts").status_code == 200)
    parvis.api("employee_fr").post(f"/api/v1/communities/{cid}/posts", json={"body": "Hora de la reunión"})
    assert reader.patch("/api/v1/me", json={"time_zone": "America/Mexico_City"}).status_code == 200
    try:
        context = browser.new_context(base_url=parvis.base_url, locale="es-ES", timezone_id="Asia/Tokyo")
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        sign_in(page, parvis.accounts["employee_es"])
        page.goto(f"/communities/{cid}?lang=es")
        stamp = page.locator(tid("post") + " " + tid("post-time")).first
        # the profile's zone decides, not the browser's
        assert stamp.get_attribute("title").endswith("(America/Mexico_City)")
        assert re.match(r"^hace \d+", stamp.inner_text()), stamp.inner_text()
        page.goto(f"/communities/{cid}?lang=de")
        assert page.locator(tid("post-time")).first.inner_text().startswith("vor ")

        # a profile with no zone: the form proposes the browser's
        assert reader.patch("/api/v1/me", json={"time_zone": None}).status_code == 200
        page.goto("/me/edit")
        assert page.locator(tid("profile-edit-time_zone")).input_value() == "Asia/Tokyo"
        assert page.locator(tid("profile-edit-time_zone-proposed")).is_visible()
        page.goto(f"/communities/{cid}")
        assert page.locator(tid("post-time")).first.get_attribute("title").endswith("(UTC)")
        context.close()
    finally:
        reader.patch("/api/v1/me", json={"time_zone": before})
