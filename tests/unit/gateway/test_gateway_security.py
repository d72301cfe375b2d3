"""CSRF tokens, origin checks and helpers of the gateway (pure functions)."""

from gateway import security
from gateway.web.common import safe_next, split_list

SECRET = b"unit-test-secret"


def test_csrf_token_is_bound_to_the_session_and_the_secret():
    token = security.csrf_token(SECRET, "session-a")
    assert token == security.csrf_token(SECRET, "session-a")
    assert token != security.csrf_token(SECRET, "session-b")
    assert token != security.csrf_token(b"other-secret", "session-a")
    assert "session-a" not in token
    assert security.check_csrf(SECRET, "session-a", token)
    assert not security.check_csrf(SECRET, "session-b", token)
    assert not security.check_csrf(SECRET, "session-a", None)
    assert not security.check_csrf(SECRET, None, token)
    assert not security.check_csrf(SECRET, "session-a", "")


def test_pre_session_token_differs_from_a_session_token():
    nonce = security.new_nonce()
    assert len(nonce) >= 40 and nonce != security.new_nonce()
    assert security.presession_csrf_token(SECRET, nonce) != security.csrf_token(SECRET, nonce)
    assert security.tokens_match(
        security.presession_csrf_token(SECRET, nonce), security.presession_csrf_token(SECRET, nonce)
    )
    assert not security.tokens_match(None, "x")
    assert not security.tokens_match("x", 3)


def test_origin_check():
    own = "http://localhost:8000/"
    assert security.origin_allowed(None, own)
    assert security.origin_allowed("http://localhost:8000", own)
    assert security.origin_allowed("HTTP://LOCALHOST:8000", own)
    assert not security.origin_allowed("http://localhost:8001", own)
    assert not security.origin_allowed("http://evil.example", own)
    assert not security.origin_allowed("null", own)
    assert not security.origin_allowed("garbage", own)
    assert security.origin_allowed("https://parvis.example", own, "https://parvis.example/")
    assert security.origin_of("https://a.example:443/x") == "https://a.example"
    assert security.origin_of("http://a.example:80") == "http://a.example"


def test_bearer_token_parsing():
    assert security.bearer_token("Bearer abc") == "abc"
    assert security.bearer_token("bearer   abc ") == "abc"
    assert security.bearer_token("Basic abc") is None
    assert security.bearer_token("Bearer ") is None
    assert security.bearer_token(None) is None


def test_security_headers_forbid_inline_code():
    csp = security.SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert security.SECURITY_HEADERS["X-Frame-Options"] == "DENY"
    assert security.SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"


def test_safe_next_keeps_only_local_paths():
    assert safe_next("/people?q=a") == "/people?q=a"
    assert safe_next("//evil.example/") == "/"
    assert safe_next("http://evil.example/") == "/"
    assert safe_next("/\\evil.example") == "/"
    assert safe_next(None, "/home") == "/home"


def test_split_list():
    assert split_list("python, SQL ,,go; Python") == ["python", "SQL", "go"]
    assert split_list("") == []
    assert split_list(None) == []
