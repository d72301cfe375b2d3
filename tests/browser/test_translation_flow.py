"""In a real browser, a French post read in English and in Spanish: the reader sees the
post's original language, clicks "Translate" (translate.js asks the gateway's API and puts
the gateway-sanitised translation in place), finds the mention and the link intact, and
switches back to the original. A German reader is told plainly that the pair is not served
(Apertium has no German), without an error. The platform runs the real APy."""

import uuid

from tests.browser.test_profile_visibility import sign_in, tid
from tests.browser.test_wall_moderation import retry

URL = "https://example.com/rapport/le-projet"


def open_post(parvis, new_page, key, locale, post_id):
    page = new_page(locale=locale)
    sign_in(page, parvis.accounts[key])
    page.goto(f"/posts/{post_id}")
    return page, page.locator(f'{tid("post")}[data-post-id="{post_id}"]')


def read_translated(page, post, mention_id):
    bar = post.locator(tid("post-translation")).first
    assert bar.locator(tid("post-language")).get_attribute("data-language") == "fr"
    url_before = page.url
    bar.locator(tid("post-translate")).click()
    body = post.locator(tid("post-body")).first
    page.wait_for_selector(f"{tid('post')} {tid('post-body')}[data-translated]", timeout=60_000)
    assert page.url == url_before  # in place, no navigation
    mention = body.locator(f'a[href="/people/{mention_id}"]')
    assert mention.count() == 1 and "Olivia Smith" in mention.inner_text()
    assert body.locator(f'a[href="{URL}"]').count() == 1
    return body


def test_a_french_post_read_in_english_and_in_spanish(parvis, new_page):
    author_key, mention_key = "employee_fr", "employee_en"
    mention_id = parvis.accounts[mention_key]["id"]
    author_api = parvis.api(author_key)
    created = author_api.post(
        "/api/v1/communities",
        json={"name": f"Chantier {uuid.uuid4().hex[:6]}", "kind": "project", "visibility": "open"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    for key in ("employee_en", "employee_es", "employee_de"):
        assert parvis.api(key).post(f"/api/v1/communities/{cid}/join").status_code == 200
    body = (
        f"Bonjour @[Olivia Smith]({mention_id}), voici [le rapport]({URL}) sur le projet. "
        "Merci beaucoup pour la réunion !"
    )
    post = retry(lambda: author_api.post(f"/api/v1/communities/{cid}/posts", json={"body": body}))
    post_id = post["id"]

    # --- in English
    page, card = open_post(parvis, new_page, "employee_en", "en-GB", post_id)
    assert "Written in French" in card.locator(tid("post-language")).first.inner_text()
    english = read_translated(page, card, mention_id)
    text = english.inner_text()
    assert "report" in text and "project" in text
    assert "voici" not in text
    status = card.locator(tid("post-translation-status")).first.inner_text()
    assert "Translated into English" in status
    # back to the original, and again to the translation
    card.locator(tid("post-translate")).click()
    assert "voici" in card.locator(tid("post-body")).first.inner_text()
    card.locator(tid("post-translate")).click()
    assert "voici" not in card.locator(tid("post-body")).first.inner_text()

    # --- in Spanish (the interface in Spanish too)
    page, card = open_post(parvis, new_page, "employee_es", "es-ES", post_id)
    assert "Escrito en francés" in card.locator(tid("post-language")).first.inner_text()
    spanish = read_translated(page, card, mention_id)
    assert "informe" in spanish.inner_text() and "voici" not in spanish.inner_text()

    # --- in German: no engine serves French -> German here, and the page says so
    page, card = open_post(parvis, new_page, "employee_de", "de-DE", post_id)
    note = card.locator(tid("post-translate-not-available")).first
    assert note.get_attribute("data-pair") == "fr-de"
    assert card.locator(tid("post-translate")).count() == 0
    assert "Merci beaucoup" in card.locator(tid("post-body")).first.inner_text()
