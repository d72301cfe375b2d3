"""The notifications service's mail layer (services/notifications/mail.py).

The message as a mail client reads it, the Maildir transport (once per Message-ID), and
the SMTP transport against a real SMTP server (aiosmtpd) on 127.0.0.1: one connection per
batch, 5xx refusals permanent, 4xx and no connection temporary, AUTH, STARTTLS and TLS.

Where the server runs: aiosmtpd's ``Controller`` serves from an asyncio loop in a real
thread of this process. The unit tier is never eventlet-patched (``./parvis test --tier
unit`` is a plain pytest process; only ``tests/service/conftest.py`` patches, in the
service tier's own process), so a thread is the simplest reliable server: no helper
process, handlers that are Python objects, every wait bounded (``ready_timeout``, the
client's socket time-out). Were the process ever patched, the loop would block the hub:
:func:`_server` fails at once with the reason instead of hanging.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import mailbox
import os
import smtplib
import socket
import ssl
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from parvis_contracts import settings as table
from services.notifications.mail import (
    Mail,
    MaildirTransport,
    MailSettings,
    Outcome,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    build,
    transport,
)

HOST = "127.0.0.1"
SENDER = "Parvis <no-reply@parvis.localhost>"
#: bounded waits: the server's start, and each answer the client waits for
READY_TIMEOUT = 10.0
CLIENT_TIMEOUT = 5.0


def a_mail(number: int = 1, to: str = "ana@example.com", **changes) -> Mail:
    fields = {
        "to": to,
        "subject": "Señor Müller a commenté ton café",
        "text": f"Bonjour,\nun nouveau commentaire ({number}).\n",
        "html": f"<p>Bonjour,</p><p>un nouveau commentaire ({number}).</p>",
        "message_id": f"n-{number}.u-7@parvis.localhost",
        "unsubscribe_url": f"https://social.example.com/unsubscribe?token=t{number}",
        "language": "fr",
    }
    fields.update(changes)
    return Mail(**fields)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def parts(message) -> dict[str, str]:
    """Content type -> text of each alternative (line ends as Python writes them)."""
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n") for part in message.iter_parts()
    }


# ---------------------------------------------------------------- the message


def test_build_writes_both_parts_and_the_headers():
    message = parse(build(a_mail(), SENDER).as_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert parts(message) == {
        "text/plain": "Bonjour,\nun nouveau commentaire (1).\n",
        "text/html": "<p>Bonjour,</p><p>un nouveau commentaire (1).</p>\n",
    }
    assert message["Message-ID"] == "<n-1.u-7@parvis.localhost>"
    assert message["Subject"] == "Señor Müller a commenté ton café"
    assert message["From"] == SENDER
    assert message["To"] == "ana@example.com"
    assert message["Content-Language"] == "fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://social.example.com/unsubscribe?token=t1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert abs(message["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=1)


def test_build_without_unsubscribe_link_and_with_extra_headers():
    message = build(a_mail(unsubscribe_url=None, headers={"X-Parvis-Kind": "mention"}), SENDER)
    assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message
    assert message["X-Parvis-Kind"] == "mention"


def test_the_wire_form_is_seven_bit():
    raw = build(a_mail(), SENDER).as_bytes()
    assert raw.isascii()
    assert "Señor" in parse(raw)["Subject"]


@pytest.mark.parametrize(
    "changes, complaint",
    [
        ({"message_id": "<n-1@parvis.localhost>"}, "message_id"),
        ({"message_id": "no-at-sign"}, "message_id"),
        ({"language": "fr fr"}, "language"),
        ({"unsubscribe_url": "javascript:alert(1)"}, "unsubscribe_url"),
        ({"headers": {"message-id": "<x@y>"}}, "message-id"),
        ({"headers": {"Content-Type": "text/plain"}}, "Content-Type"),
        ({"subject": "Hi\r\nBcc: everyone@example.com"}, "linefeed"),
        ({"html": '<p>Hi</p><img src="https://tracker.example/p.gif">'}, "remote image"),
        ({"html": "<img src=//tracker.example/p.gif>"}, "remote image"),
        ({"html": '<div style="background:url(https://tracker.example/p.gif)">'}, "remote image"),
    ],
)
def test_build_refuses_a_wrong_or_unsafe_message(changes, complaint):
    with pytest.raises(ValueError, match=complaint):
        build(a_mail(**changes), SENDER)


def test_inline_images_are_allowed():
    html = '<p><img alt="" src="data:image/png;base64,iVBORw0KGgo="></p>'
    assert "data:image/png" in parts(build(a_mail(html=html), SENDER))["text/html"]


# ---------------------------------------------------------------- settings


def test_settings_defaults(tmp_path):
    found = MailSettings.from_environment({"PARVIS_VAR_DIR": str(tmp_path)})
    assert found.transport == "maildir"
    assert found.maildir == tmp_path / "mail"
    assert found.sender == SENDER
    assert (found.smtp_host, found.smtp_port, found.smtp_security) == ("127.0.0.1", 25, "none")
    assert (found.smtp_user, found.smtp_password, found.smtp_timeout) == (None, None, 10.0)
    assert isinstance(transport(found), MaildirTransport)


def test_settings_choose_smtp():
    environ = {
        "PARVIS_MAIL_TRANSPORT": "SMTP",
        "PARVIS_SMTP_HOST": "smtp.example.com",
        "PARVIS_SMTP_PORT": "587",
        "PARVIS_SMTP_SECURITY": "StartTLS",
        "PARVIS_SMTP_USER": "mailer",
        "PARVIS_SMTP_PASSWORD": "s3cret",
        "PARVIS_SMTP_TIMEOUT": "2.5",
    }
    found = MailSettings.from_environment(environ)
    assert (found.transport, found.smtp_security, found.smtp_port, found.smtp_timeout) == (
        "smtp",
        "starttls",
        587,
        2.5,
    )
    assert "s3cret" not in repr(found)
    assert isinstance(transport(found), SmtpTransport)


@pytest.mark.parametrize(
    "name, text",
    [
        ("PARVIS_MAIL_TRANSPORT", "sendmail"),
        ("PARVIS_SMTP_SECURITY", "ssl"),
        ("PARVIS_SMTP_PORT", "smtp"),
        ("PARVIS_SMTP_PORT", "70000"),
        ("PARVIS_SMTP_TIMEOUT", "soon"),
        ("PARVIS_SMTP_TIMEOUT", "0"),
        ("PARVIS_MAIL_FROM", "Parvis"),
    ],
)
def test_a_bad_setting_names_the_variable(name, text):
    with pytest.raises(table.SettingError, match=name):
        MailSettings.from_environment({name: text})


def test_a_password_in_clear_goes_to_loopback_only():
    environ = {"PARVIS_MAIL_TRANSPORT": "smtp", "PARVIS_SMTP_USER": "mailer", "PARVIS_SMTP_PASSWORD": "x"}
    assert MailSettings.from_environment(environ).smtp_user == "mailer"
    with pytest.raises(table.SettingError, match="PARVIS_SMTP_SECURITY"):
        MailSettings.from_environment({**environ, "PARVIS_SMTP_HOST": "smtp.example.com"})
    secured = {**environ, "PARVIS_SMTP_HOST": "smtp.example.com", "PARVIS_SMTP_SECURITY": "tls"}
    assert MailSettings.from_environment(secured).smtp_security == "tls"


# ---------------------------------------------------------------- Maildir


def delivered(path) -> list[email.message.EmailMessage]:
    box = mailbox.Maildir(path, create=False)
    return [parse(box.get_bytes(key)) for key in box.iterkeys()]


def test_maildir_delivers_into_new_and_the_file_parses_back(tmp_path):
    path = tmp_path / "var" / "mail"
    MaildirTransport(path, SENDER).send(a_mail())
    assert len(os.listdir(path / "new")) == 1
    with open(path / "new" / os.listdir(path / "new")[0], "rb") as fh:
        message = parse(fh.read())
    assert message["Message-ID"] == "<n-1.u-7@parvis.localhost>"
    assert message["Subject"] == "Señor Müller a commenté ton café"
    assert parts(message)["text/plain"].startswith("Bonjour")


def test_maildir_delivers_a_message_id_once(tmp_path):
    sender = MaildirTransport(tmp_path / "mail", SENDER)
    sender.send(a_mail(1))
    sender.send(a_mail(1))
    outcome = sender.send_many([a_mail(1), a_mail(2), a_mail(2)])
    assert outcome == Outcome(accepted=("n-1.u-7@parvis.localhost", "n-2.u-7@parvis.localhost"))
    ids = sorted(message["Message-ID"] for message in delivered(tmp_path / "mail"))
    assert ids == ["<n-1.u-7@parvis.localhost>", "<n-2.u-7@parvis.localhost>"]


def test_maildir_remembers_a_message_a_reader_moved_to_cur(tmp_path):
    path = tmp_path / "mail"
    MaildirTransport(path, SENDER).send(a_mail())
    box = mailbox.Maildir(path, create=False)
    for key in list(box.iterkeys()):  # what a mail client does when it shows the message
        message = box[key]
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    MaildirTransport(path, SENDER).send(a_mail())
    assert os.listdir(path / "new") == [] and len(os.listdir(path / "cur")) == 1


def test_maildir_race_leaves_the_winners_copy_only(tmp_path, monkeypatch):
    sender = MaildirTransport(tmp_path / "mail", SENDER)
    real_add = mailbox.Maildir.add

    def add_while_another_sender_claims(box, message):
        key = real_add(box, message)
        sender.marker("n-1.u-7@parvis.localhost").touch()  # the other sender's claim
        return key

    monkeypatch.setattr(mailbox.Maildir, "add", add_while_another_sender_claims)
    sender.send(a_mail())
    assert delivered(tmp_path / "mail") == []  # ours was removed; the winner's is its own


def test_maildir_failures_are_outcomes(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    outcome = MaildirTransport(blocked / "mail", SENDER).send_many([a_mail(1), a_mail(2, language="x y")])
    assert outcome.accepted == ()
    assert set(outcome.temporary) == {"n-1.u-7@parvis.localhost"}
    assert outcome.permanent["n-2.u-7@parvis.localhost"].startswith("not sendable")
    with pytest.raises(TemporaryFailure):
        MaildirTransport(blocked / "mail", SENDER).send(a_mail(1))


# ---------------------------------------------------------------- SMTP


class Recorder:
    """aiosmtpd handler: keeps each message that arrives; answers RCPT or DATA as told."""

    def __init__(self, rcpt: dict[str, str] | None = None, data: dict[str, str] | None = None):
        self.rcpt = rcpt or {}  # address -> the answer to its RCPT ("550 ...")
        self.data = data or {}  # address -> the answer to the DATA of its message
        self.received: list[dict] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt:
            return self.rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        (to,) = envelope.rcpt_tos
        if to in self.data:
            return self.data[to]
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "to": to,
                "message": parse(envelope.original_content),
                "peer": session.peer,
                "authenticated": bool(session.authenticated),
                "tls": server.transport.get_extra_info("ssl_object") is not None,
            }
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _not_green():
    try:
        from eventlet import patcher
    except ImportError:
        return
    if patcher.is_monkey_patched("thread") or patcher.is_monkey_patched("socket"):
        pytest.fail(
            "this process is eventlet-patched: aiosmtpd's thread would block (see the module docstring)"
        )


@pytest.fixture
def smtp_server():
    """``start(handler, **smtp_options) -> port``: an aiosmtpd server on 127.0.0.1, stopped after."""
    _not_green()
    running = []

    def start(handler, **options):
        for _attempt in range(5):
            controller = Controller(
                handler,
                hostname=HOST,
                port=free_port(),
                ready_timeout=READY_TIMEOUT,
                server_hostname="smtp.test",
                **options,
            )
            try:
                controller.start()
            except OSError:  # the port was taken between the probe and the bind: another one
                controller.loop.close()
                continue
            running.append(controller)
            return controller.port
        raise RuntimeError(f"no free port on {HOST} for the SMTP server")

    yield start
    for controller in running:
        controller.stop()


def smtp_settings(port: int, **changes) -> MailSettings:
    base = MailSettings.from_environment({"PARVIS_MAIL_TRANSPORT": "smtp"})
    return replace(base, smtp_host=HOST, smtp_port=port, smtp_timeout=CLIENT_TIMEOUT, **changes)


def test_smtp_delivers_the_message_as_built(smtp_server):
    recorder = Recorder()
    port = smtp_server(recorder)
    SmtpTransport(smtp_settings(port)).send(a_mail())
    (got,) = recorder.received
    assert (got["mail_from"], got["to"]) == ("no-reply@parvis.localhost", "ana@example.com")
    message = got["message"]
    assert message["Subject"] == "Señor Müller a commenté ton café"
    assert message["Message-ID"] == "<n-1.u-7@parvis.localhost>"
    assert message["Content-Language"] == "fr"
    assert message["List-Unsubscribe"] == "<https://social.example.com/unsubscribe?token=t1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert parts(message) == {
        "text/plain": "Bonjour,\nun nouveau commentaire (1).\n",
        "text/html": "<p>Bonjour,</p><p>un nouveau commentaire (1).</p>\n",
    }
    assert not got["authenticated"] and not got["tls"]


@pytest.mark.parametrize("subject", ["Café", "Grüße aus Zürich", "Mañana, señor", "é ü ñ " * 20])
def test_smtp_non_ascii_subjects_round_trip(smtp_server, subject):
    recorder = Recorder()
    SmtpTransport(smtp_settings(smtp_server(recorder))).send(a_mail(subject=subject))
    assert recorder.received[0]["message"]["Subject"] == subject


def test_smtp_batch_goes_on_past_a_refused_recipient(smtp_server):
    recorder = Recorder(rcpt={"gone@example.com": "550 5.1.1 No such user"})
    port = smtp_server(recorder)
    mails = [a_mail(1), a_mail(2, to="gone@example.com"), a_mail(3, to="bea@example.com")]
    outcome = SmtpTransport(smtp_settings(port)).send_many(mails)
    assert outcome.accepted == ("n-1.u-7@parvis.localhost", "n-3.u-7@parvis.localhost")
    assert outcome.permanent == {"n-2.u-7@parvis.localhost": "550 5.1.1 No such user"}
    assert outcome.temporary == {}
    assert [got["to"] for got in recorder.received] == ["ana@example.com", "bea@example.com"]
    assert len({got["peer"] for got in recorder.received}) == 1  # one connection for the batch


def test_smtp_4xx_answers_are_temporary(smtp_server):
    recorder = Recorder(
        rcpt={"busy@example.com": "451 4.3.0 Try again later"},
        data={"full@example.com": "452 4.3.1 Insufficient system storage"},
    )
    port = smtp_server(recorder)
    mails = [a_mail(1, to="busy@example.com"), a_mail(2, to="full@example.com"), a_mail(3)]
    outcome = SmtpTransport(smtp_settings(port)).send_many(mails)
    assert outcome.accepted == ("n-3.u-7@parvis.localhost",)
    assert outcome.temporary == {
        "n-1.u-7@parvis.localhost": "451 4.3.0 Try again later",
        "n-2.u-7@parvis.localhost": "452 4.3.1 Insufficient system storage",
    }
    with pytest.raises(TemporaryFailure, match="451"):
        SmtpTransport(smtp_settings(port)).send(a_mail(1, to="busy@example.com"))


def test_smtp_a_permanent_refusal_raises_from_send(smtp_server):
    port = smtp_server(Recorder(data={"ana@example.com": "554 5.7.1 Message rejected"}))
    with pytest.raises(PermanentFailure) as caught:
        SmtpTransport(smtp_settings(port)).send(a_mail())
    assert caught.value.message_id == "n-1.u-7@parvis.localhost" and caught.value.reason.startswith("554")


def test_smtp_server_down_is_temporary_for_the_whole_batch():
    settings = smtp_settings(free_port())  # nothing listens there
    outcome = SmtpTransport(settings).send_many([a_mail(1), a_mail(2)])
    assert outcome.accepted == () and outcome.permanent == {}
    assert set(outcome.temporary) == {"n-1.u-7@parvis.localhost", "n-2.u-7@parvis.localhost"}
    assert "no connection" in outcome.temporary["n-1.u-7@parvis.localhost"]
    with pytest.raises(TemporaryFailure):
        SmtpTransport(settings).send(a_mail(1))


def test_smtp_a_connection_lost_mid_batch_leaves_the_rest_temporary(smtp_server):
    class Dropper(Recorder):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == "drop@example.com":
                server.transport.close()
                return "421 4.3.2 Going away"
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    recorder = Dropper()
    port = smtp_server(recorder)
    mails = [a_mail(1), a_mail(2, to="drop@example.com"), a_mail(3)]
    outcome = SmtpTransport(smtp_settings(port)).send_many(mails)
    assert outcome.accepted == ("n-1.u-7@parvis.localhost",)
    assert set(outcome.temporary) == {"n-2.u-7@parvis.localhost", "n-3.u-7@parvis.localhost"}


def test_smtp_an_unsendable_mail_does_not_stop_the_batch(smtp_server):
    recorder = Recorder()
    port = smtp_server(recorder)
    mails = [a_mail(1, subject="a\nb"), a_mail(2)]
    outcome = SmtpTransport(smtp_settings(port)).send_many(mails)
    assert outcome.accepted == ("n-2.u-7@parvis.localhost",)
    assert outcome.permanent["n-1.u-7@parvis.localhost"].startswith("not sendable")


def authenticator(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"mailer",
        b"s3cret",
    )
    return AuthResult(success=good, handled=False)  # handled=False: the server answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_logs_in_when_a_user_is_set(smtp_server):
    recorder = Recorder()
    port = smtp_server(recorder, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    SmtpTransport(smtp_settings(port, smtp_user="mailer", smtp_password="s3cret")).send(a_mail())
    assert recorder.received[0]["authenticated"]
    wrong = SmtpTransport(smtp_settings(port, smtp_user="mailer", smtp_password="nope"))
    outcome = wrong.send_many([a_mail(2)])
    assert "535" in outcome.temporary["n-2.u-7@parvis.localhost"]  # the login, not the mail: later
    assert len(recorder.received) == 1


# ---------------------------------------------------------------- SMTP with TLS


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1: ``(server context, client context trusting it)``."""
    pytest.importorskip("cryptography", reason="the TLS tests make their certificate with cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


def test_smtp_starttls(smtp_server, certificate):
    server_context, client_context = certificate
    recorder = Recorder()
    port = smtp_server(
        recorder,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    settings = smtp_settings(port, smtp_security="starttls", smtp_user="mailer", smtp_password="s3cret")
    SmtpTransport(settings, ssl_context=client_context).send(a_mail())
    (got,) = recorder.received
    assert got["tls"] and got["authenticated"]
    assert got["message"]["Subject"] == "Señor Müller a commenté ton café"


def test_smtp_starttls_verifies_the_certificate(smtp_server, certificate):
    server_context, _client_context = certificate
    recorder = Recorder()
    port = smtp_server(recorder, tls_context=server_context, require_starttls=True)
    # the default context trusts the system's CAs only: a self-signed server is refused
    outcome = SmtpTransport(smtp_settings(port, smtp_security="starttls")).send_many([a_mail()])
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.temporary["n-1.u-7@parvis.localhost"]
    assert recorder.received == []


def test_smtp_starttls_refused_by_a_plain_server_is_temporary(smtp_server):
    port = smtp_server(Recorder())
    outcome = SmtpTransport(smtp_settings(port, smtp_security="starttls")).send_many([a_mail()])
    assert "STARTTLS" in outcome.temporary["n-1.u-7@parvis.localhost"]


def test_smtp_implicit_tls(smtp_server, certificate):
    server_context, client_context = certificate
    recorder = Recorder()
    port = smtp_server(recorder, ssl_context=server_context)
    SmtpTransport(smtp_settings(port, smtp_security="tls"), ssl_context=client_context).send(a_mail())
    assert recorder.received[0]["tls"]


def test_smtp_exceptions_never_leak_from_send_many(monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, b"too many connections")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    outcome = SmtpTransport(smtp_settings(1)).send_many([a_mail()])
    assert "421 too many connections" in outcome.temporary["n-1.u-7@parvis.localhost"]
