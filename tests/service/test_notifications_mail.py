"""Mails through a real SMTP server on loopback: a mention mailed in its recipient's
language with a working one-click unsubscribe, a password reset and an invitation to the
network, end to end through the gateway. Identity, communities, feed and notifications on
the real RabbitMQ; the SMTP server is aiosmtpd in a process of its own
(``tests.support.SmtpSink``); the notifications service sends through ``smtplib``.
"""

import re
import time

import pytest
from test_gateway import API, PASSWORD, assert_error_shape, client_for, csrf_from, sign_in, write
from test_notifications import network, post  # noqa: F401  (the fixture)

from services.notifications.unsubscribe import token as unsubscribe_token
from tests.support import SmtpSink, wait_until


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    sink = SmtpSink(tmp_path / "smtp").start()
    for name, value in sink.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARVIS_PUBLIC_URL", "https://parvis.test")
    yield sink
    sink.stop()


def link(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    found = re.search(pattern, text)
    assert found, text
    return found.group(0)


def test_a_mention_is_mailed_in_english_and_its_one_click_link_stops_mentions_signed_out(
    smtp,
    network,  # noqa: F811
):
    app, people, clients, cid = network
    post(clients["louise"], cid, f"Bonjour @[Olivia Owens]({people['olivia']['id']}), les livraisons ?")
    (mail,) = smtp.wait_for("olivia@acme.example")
    assert mail["Subject"] == "Louise Leroy mentioned you in a post · Achats Europe"
    assert mail["Content-Language"] == "en"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = mail["List-Unsubscribe"].strip("<>")
    assert one_click.startswith("https://parvis.test/api/v1/notifications/unsubscribe/")
    html = mail.get_body(("html",)).get_content()
    assert "<img" not in html and "les livraisons" in html
    assert link(mail, r"https://parvis\.test/posts/[\w-]+").endswith(mail_post_id(clients["olivia"], cid))
    assert link(mail, r"https://parvis\.test/mail/unsubscribe/\S+")

    # the mail client's POST, signed out, with RFC 8058's body
    visitor = app.test_client()
    stopped = visitor.post(
        one_click.removeprefix("https://parvis.test"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert stopped.status_code == 200, stopped.get_json()
    assert stopped.get_json() == {"kinds": ["mention"]}
    frequencies = clients["olivia"].get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]
    assert frequencies["mention"] == "never" and frequencies["comment"] == "immediately"

    # the next mention is in the app, not in the mail box
    post(clients["louise"], cid, f"Encore @[Olivia Owens]({people['olivia']['id']})")
    wait_until(lambda: any(i["kind"] == "mention" and not i["read"] for i in inbox(clients["olivia"])[:1]))
    time.sleep(5)  # two ticks of the mail sender (PARVIS_MAIL_TICK): nothing more arrives
    assert len(smtp.messages("olivia@acme.example")) == 1


def mail_post_id(client, cid) -> str:
    return client.get(f"{API}/communities/{cid}/posts").get_json()["items"][0]["id"]


def inbox(client) -> list:
    return client.get(f"{API}/notifications").get_json()["items"]


def test_a_forged_unsubscribe_link_and_a_frequency_out_of_range_change_nothing(smtp, network):  # noqa: F811
    app, people, clients, cid = network
    visitor = app.test_client()
    forged = visitor.post(f"{API}/notifications/unsubscribe/u1.cC1vbGl2aWE.all.forged")
    assert_error_shape(forged, 422, "validation_failed")
    page = visitor.get("/mail/unsubscribe/u1.cC1vbGl2aWE.all.forged")
    assert page.status_code == 200 and b"unsubscribe-form" in page.data
    bad = write(
        clients["olivia"],
        "PUT",
        f"{API}/notifications/mail-preferences",
        json={"frequencies": {"like": "hourly"}},
    )
    assert_error_shape(bad, 422)
    mine = clients["olivia"].get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]
    assert mine["like"] == "daily"
    chosen = write(
        clients["olivia"],
        "PUT",
        f"{API}/notifications/mail-preferences",
        json={"frequencies": {"like": "weekly"}},
    )
    assert chosen.status_code == 200 and chosen.get_json()["frequencies"]["like"] == "weekly"


def test_a_password_reset_mail_sets_a_new_password_once_and_ends_every_session(smtp, network):  # noqa: F811
    app, people, clients, cid = network
    olivia = clients["olivia"]
    visitor = app.test_client()
    for address in ("olivia@acme.example", "nobody@acme.example"):
        asked = visitor.post(f"{API}/auth/password-reset", json={"email": address})
        assert asked.status_code == 202, asked.get_json()
    (mail,) = smtp.wait_for("olivia@acme.example")
    assert mail["Subject"] == "Reset your Parvis password"
    assert mail["List-Unsubscribe"] is None
    token = link(mail, r"https://parvis\.test/password-reset/\S+").rsplit("/", 1)[1]
    assert visitor.get(f"{API}/auth/password-reset/{token}").status_code == 200
    done = visitor.post(f"{API}/auth/password-reset/{token}", json={"password": "a-new-long-passphrase"})
    assert done.status_code in (200, 204), done.get_json()
    again = visitor.post(f"{API}/auth/password-reset/{token}", json={"password": "another-long-passphrase"})
    assert_error_shape(again, 404)
    assert olivia.get(f"{API}/notifications/unread-count").status_code == 401
    fresh = app.test_client()
    sign_in(fresh, "olivia@acme.example", "a-new-long-passphrase")
    assert fresh.get(f"{API}/auth/session").status_code == 200
    assert smtp.messages("nobody@acme.example") == []


def test_an_invitation_to_the_network_is_mailed_with_its_link(smtp, network):  # noqa: F811
    app, people, clients, cid = network
    admin = client_for(app, "admin@acme.example", PASSWORD)
    made = write(
        admin,
        "POST",
        f"{API}/admin/people",
        json={"email": "nina@acme.example", "display_name": "Nina Neu", "preferred_language": "de"},
    )
    assert made.status_code == 201, made.get_json()
    (mail,) = smtp.wait_for("nina@acme.example")
    assert mail["Content-Language"] == "de"
    token = link(mail, r"https://parvis\.test/invitations/\S+").rsplit("/", 1)[1]
    invitation = app.test_client().get(f"{API}/auth/invitations/{token}")
    assert invitation.status_code == 200 and invitation.get_json()["email"] == "nina@acme.example"


@pytest.mark.parametrize(
    ("lang", "heading", "daily"),
    [
        ("en", "What I receive by e-mail", "Daily digest"),
        ("fr", "Ce que je reçois par courriel", "Résumé quotidien"),
        ("es", "Lo que recibo por correo", "Resumen diario"),
        ("de", "Was ich per E-Mail erhalte", "Tägliche Zusammenfassung"),
    ],
)
def test_the_settings_page_chooses_each_kinds_frequency_and_the_unsubscribe_page_asks_first(
    smtp,
    network,  # noqa: F811
    lang,
    heading,
    daily,
):
    app, people, clients, cid = network
    olivia = clients["olivia"]
    page = olivia.get("/notifications/settings", query_string={"lang": lang})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and heading in html and daily in html
    assert 'id="mail-like"' in html
    saved = olivia.post(
        "/notifications/settings/mail",
        query_string={"lang": lang},
        data={"csrf_token": csrf_from(page), "mail-like": "never", "mail-mention": "daily"},
    )
    assert saved.status_code == 302
    mine = olivia.get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]
    assert (mine["like"], mine["mention"], mine["comment"]) == ("never", "daily", "immediately")
    refused = olivia.post(
        "/notifications/settings/mail", data={"csrf_token": csrf_from(page), "mail-like": "hourly"}
    )
    assert refused.status_code == 303
    assert olivia.get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]["like"] == "never"

    # the footer's link, signed out: a page that asks, then stops that kind
    link = f"/mail/unsubscribe/{unsubscribe_token(people['olivia']['id'], 'comment')}"
    visitor = app.test_client()
    asked = visitor.get(link, query_string={"lang": lang})
    assert asked.status_code == 200 and b"unsubscribe-form" in asked.data
    assert (
        olivia.get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]["comment"]
        == "immediately"
    )
    done = visitor.post(link, query_string={"lang": lang}, data={"csrf_token": csrf_from(asked)})
    assert done.status_code == 200 and b"unsubscribe-done" in done.data
    assert olivia.get(f"{API}/notifications/mail-preferences").get_json()["frequencies"]["comment"] == "never"
    forged = visitor.post(link[:-3] + "xyz", data={"csrf_token": csrf_from(asked)})
    assert forged.status_code == 422 and b"unsubscribe-invalid" in forged.data
