"""Translation through the gateway: identity, communities, feed and translation on the real
RabbitMQ, translation on the real Apertium server (APy); HTTP through Flask's test client
with real sign-in cookies and CSRF tokens. Nothing is mocked.
"""

from __future__ import annotations

import re

import pytest
from apy_support import apertium_only, apy  # noqa: F401  (fixture)
from test_gateway import API, assert_error_shape, client_for, create_person, write
from test_gateway_communities import UNKNOWN_ID, network, private_community_with_guest  # noqa: F401  (fixture)

from deploy.launcher import free_port
from services.translation.service import TranslationService
from tests.support import wait_until

URL = "https://example.com/rapport/le-projet"
MAX_CHARS = 2000


def french_post(network, mention_id):
    app, people, clients, partner = network
    cid = private_community_with_guest(network)
    body = (
        f"Bonjour @[Eric Employee]({mention_id}), voici [le rapport]({URL}) sur le projet. Merci beaucoup !"
    )
    made = write(clients["manager"], "POST", f"{API}/communities/{cid}/posts", json={"body": body})
    assert made.status_code == 201, made.get_json()
    return cid, made.get_json()


@pytest.fixture
def translating(network, apy, start_service, monkeypatch):
    apertium_only(monkeypatch, apy)
    monkeypatch.setenv("PARVIS_TRANSLATION_MAX_CHARS", str(MAX_CHARS))
    start_service(TranslationService)
    return network


@pytest.fixture
def engine_down(network, start_service, monkeypatch):
    monkeypatch.setenv("PARVIS_APERTIUM_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "apertium")
    monkeypatch.setenv("PARVIS_TRANSLATION_TIMEOUT", "2")
    start_service(TranslationService)
    return network


@pytest.fixture
def undetectable(network, apy, start_service, monkeypatch):
    """Apertium as usual, but no language is ever detected with enough confidence."""
    apertium_only(monkeypatch, apy)
    monkeypatch.setenv("PARVIS_TRANSLATION_DETECT_MIN_CONFIDENCE", "1.01")
    start_service(TranslationService)
    return network


def translate(client, **body):
    return write(client, "POST", f"{API}/translations", json=body)


# ---------------------------------------------------------------- REST API


def test_a_member_reads_a_french_post_in_english_and_spanish(translating):
    app, people, clients, partner = translating
    _cid, post = french_post(translating, people["employee"]["id"])
    english = translate(clients["employee"], kind="post", id=post["id"])  # my language: en
    assert english.status_code == 200, english.get_json()
    result = english.get_json()
    assert (result["source"], result["target"], result["via"]) == ("fr", "en", ["fr", "ca", "en"])
    assert result["engine"] == "apertium" and result["revision"] == 1
    assert f"@[Eric Employee]({people['employee']['id']})" in result["markdown"]
    assert URL in result["markdown"] and "report" in result["markdown"]
    # the gateway rendered and sanitised the translation: the mention and the link are intact
    assert f'href="{URL}"' in result["html"] and "<script" not in result["html"]
    assert "Eric Employee" in result["html"]
    spanish = translate(clients["guest"], kind="post", id=post["id"], target="es")
    assert spanish.status_code == 200 and spanish.get_json()["via"] == ["fr", "es"]
    assert URL in spanish.get_json()["markdown"]
    # asked again: served from the cache
    again = translate(clients["employee"], kind="post", id=post["id"], target="en")
    assert again.get_json()["cached"] is True
    assert again.get_json()["markdown"] == result["markdown"]
    # the gateway's memo of that answer never skips the read with the caller's rights
    outsider = translate(clients["outsider"], kind="post", id=post["id"], target="en")
    assert_error_shape(outsider, 404, "not_found")
    assert (
        outsider.get_json()
        == translate(clients["outsider"], kind="post", id=UNKNOWN_ID, target="en").get_json()
    )
    # an edit is a new revision: translated afresh, never the memo's old text
    edited = write(
        clients["manager"],
        "PATCH",
        f"{API}/posts/{post['id']}",
        json={"body": "Bonjour, voici le nouveau calendrier du projet."},
    )
    assert edited.status_code == 200, edited.get_json()
    fresh = translate(clients["employee"], kind="post", id=post["id"], target="en")
    assert fresh.status_code == 200 and fresh.get_json()["revision"] == 2
    assert "calendar" in fresh.get_json()["markdown"].lower()
    assert "report" not in fresh.get_json()["markdown"]


def test_pretranslation_gives_the_first_reader_a_cache_hit(translating):
    app, people, clients, partner = translating
    _cid, post = french_post(translating, people["employee"]["id"])

    def cached():
        answer = translate(clients["employee"], kind="post", id=post["id"], target="en")
        return answer.status_code == 200 and answer.get_json()["cached"]

    # every member prefers English here: the post was translated into English on creation
    wait_until(cached, timeout=60, interval=0.5)


def test_a_comment_is_translated_and_an_unreadable_post_is_the_404_of_an_unknown_id(translating):
    app, people, clients, partner = translating
    cid, post = french_post(translating, people["employee"]["id"])
    made = write(
        clients["employee"],
        "POST",
        f"{API}/posts/{post['id']}/comments",
        json={"body": "Merci pour le rapport sur le projet."},
    )
    comment = made.get_json()
    out = translate(clients["guest"], kind="comment", id=comment["id"], target="en")
    assert out.status_code == 200 and "report" in out.get_json()["markdown"]

    hidden = translate(clients["outsider"], kind="post", id=post["id"], target="en")
    unknown = translate(clients["outsider"], kind="post", id=UNKNOWN_ID, target="en")
    assert_error_shape(hidden, 404, "not_found")
    assert hidden.get_json() == unknown.get_json()
    hidden_comment = translate(clients["outsider"], kind="comment", id=comment["id"])
    unknown_comment = translate(clients["outsider"], kind="comment", id=UNKNOWN_ID)
    assert hidden_comment.status_code == 404
    assert hidden_comment.get_json() == unknown_comment.get_json()


def test_bad_input_answers_the_one_error_shape(translating):
    app, people, clients, partner = translating
    cid, post = french_post(translating, people["employee"]["id"])
    # German: no engine serves it here
    german = translate(clients["employee"], kind="post", id=post["id"], target="de")
    body = assert_error_shape(german, 422, "validation_failed")
    assert body["error"]["details"]["code"] == "unsupported_pair"
    assert body["error"]["details"]["pair"] == "fr-de"
    assert_error_shape(translate(clients["employee"], kind="video", id=post["id"]), 422)
    assert_error_shape(translate(clients["employee"], kind="post", id=post["id"], target="klingon"), 422)
    long_body = "Bonjour, voici le rapport sur le projet. " * 60
    assert len(long_body) > MAX_CHARS
    made = write(clients["manager"], "POST", f"{API}/communities/{cid}/posts", json={"body": long_body})
    too_long = translate(clients["employee"], kind="post", id=made.get_json()["id"])
    assert_error_shape(too_long, 413, "payload_too_large")


def test_the_reader_gives_the_source_language_the_service_asks_for(undetectable):
    app, people, clients, partner = undetectable
    _cid, post = french_post(undetectable, people["employee"]["id"])  # no stated language
    asked = translate(clients["employee"], kind="post", id=post["id"], target="en")
    body = assert_error_shape(asked, 422, "validation_failed")
    assert "give the source language" in body["error"]["message"]
    assert list(body["error"]["details"]) == ["source"]  # the request field to give
    given = translate(clients["employee"], kind="post", id=post["id"], target="en", source="fr")
    assert given.status_code == 200, given.get_json()
    result = given.get_json()
    assert (result["source"], result["target"], result["detected"]) == ("fr", "en", False)
    assert result["via"] == ["fr", "ca", "en"] and "report" in result["markdown"]
    # the reader's answer is not remembered for the next request without it
    again = translate(clients["employee"], kind="post", id=post["id"], target="en")
    assert_error_shape(again, 422, "validation_failed")
    # refused at the gateway in the same shape as the service refuses it
    bad = translate(clients["employee"], kind="post", id=post["id"], source="klingon")
    assert assert_error_shape(bad, 422, "validation_failed")["error"]["details"] == {
        "source": ["Not an ISO 639-1 language code."]
    }
    spec = app.test_client().get(f"{API}/openapi.json").get_json()
    documented = spec["components"]["schemas"]["TranslateRequest"]
    assert documented["properties"]["source"]["type"] == "string"
    assert "source" not in documented.get("required", [])


def test_pairs_say_what_is_served(translating):
    app, people, clients, partner = translating
    pairs = clients["guest"].get(f"{API}/translation/pairs").get_json()
    served = {(p["source"], p["target"]) for p in pairs["pairs"]}
    assert {("fr", "en"), ("fr", "es"), ("en", "fr")} <= served
    assert not any("de" in pair for pair in served)
    assert pairs["engines"] == [{"name": "apertium", "status": "ok"}]


def test_engine_down_is_a_503_and_the_page_shows_the_original_with_a_notice(engine_down):
    app, people, clients, partner = engine_down
    cid, post = french_post(engine_down, people["employee"]["id"])
    down = translate(clients["employee"], kind="post", id=post["id"], target="en")
    assert_error_shape(down, 503, "unavailable")
    # the reader asked for the page translated: the original, with a notice, never an error
    page = clients["employee"].get(f"/posts/{post['id']}", query_string={"translate": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="translation-notice"' in html and "Merci beaucoup" in html


def test_glossary_is_for_admins_and_global_community_managers(translating):
    app, people, clients, partner = translating
    admin = clients["admin"]
    added = write(
        admin,
        "POST",
        f"{API}/translation/glossary",
        json={"term": "Parvis Cloud", "translations": {"en": "Parvis Cloud"}},
    )
    assert added.status_code == 201, added.get_json()
    term = added.get_json()
    assert_error_shape(
        write(admin, "POST", f"{API}/translation/glossary", json={"term": "parvis cloud"}), 409, "conflict"
    )
    for who in ("employee", "guest", "manager"):
        assert_error_shape(clients[who].get(f"{API}/translation/glossary"), 403, "forbidden")
        assert_error_shape(
            write(clients[who], "POST", f"{API}/translation/glossary", json={"term": "x"}), 403, "forbidden"
        )
    gcm = create_person(admin, "gina@acme.example", "Gina Global", roles=["global_community_manager"])
    gina = client_for(app, gcm["person"]["email"])
    listed = gina.get(f"{API}/translation/glossary").get_json()
    assert [t["term"] for t in listed["items"]] == ["Parvis Cloud"]
    changed = write(gina, "PATCH", f"{API}/translation/glossary/{term['id']}", json={"note": "our product"})
    assert changed.status_code == 200 and changed.get_json()["note"] == "our product"
    removed = write(gina, "DELETE", f"{API}/translation/glossary/{term['id']}")
    assert removed.status_code == 200 and removed.get_json()["removed"] == term["id"]
    assert_error_shape(write(gina, "DELETE", f"{API}/translation/glossary/{term['id']}"), 404)


# ---------------------------------------------------------------- web UI


def test_post_page_translated_without_script_and_german_said_unavailable(translating):
    app, people, clients, partner = translating
    cid, post = french_post(translating, people["employee"]["id"])
    page = clients["employee"].get(f"/posts/{post['id']}")
    html = page.get_data(as_text=True)
    assert 'data-testid="post-language" data-language="fr"' in html
    link = re.search(r'href="([^"]*translate=en[^"]*)"[^>]*data-translate-button', html)
    assert link, html[html.find('data-testid="post-translation"') - 200 :][:3000]
    translated = clients["employee"].get(link.group(1).replace("&amp;", "&"))
    body = translated.get_data(as_text=True)
    assert 'data-translated="en"' in body and "report" in body and f'href="{URL}"' in body
    # German has no engine here: said plainly, not an error
    german = clients["employee"].get(f"/posts/{post['id']}", query_string={"translate": "de"})
    assert german.status_code == 200
    text = german.get_data(as_text=True)
    assert 'data-testid="post-translate-not-available"' in text and "Merci beaucoup" in text


def test_auto_translate_setting_translates_the_wall(translating):
    app, people, clients, partner = translating
    cid, post = french_post(translating, people["employee"]["id"])
    me = write(clients["employee"], "PATCH", f"{API}/me", json={"auto_translate": True})
    assert me.status_code == 200 and me.get_json()["auto_translate"] is True
    wall = clients["employee"].get(f"/communities/{cid}").get_data(as_text=True)
    assert 'data-translated="en"' in wall and 'data-testid="post-show-original"' in wall
    off = clients["employee"].get(f"/communities/{cid}", query_string={"translate": "off"})
    assert 'data-translated="en"' not in off.get_data(as_text=True)
    # someone without the setting sees the original and the control
    manager_wall = clients["guest"].get(f"/communities/{cid}").get_data(as_text=True)
    assert "data-translated=" not in manager_wall and 'data-testid="post-translate"' in manager_wall


def test_admin_translation_screen(translating):
    app, people, clients, partner = translating
    page = clients["admin"].get("/admin/translation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-pair="fr-en"' in html and 'data-pair="fr-de"' not in html
    assert 'data-testid="translation-missing"' in html  # German: recognised, not served
    assert clients["employee"].get("/admin/translation").status_code == 403
