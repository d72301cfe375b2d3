"""Pure helpers of the gateway's translation UI: served pairs and what a page shows."""

from gateway.calls.translation import pair_served
from gateway.web.translation import _texts_of

PAIRS = {
    "pairs": [{"source": "fr", "target": "en"}, {"source": "fr", "target": "es"}],
    "engines": [{"name": "apertium", "status": "ok"}],
}


def test_pair_served_is_true_false_or_unknown():
    assert pair_served(PAIRS, "fr", "en") is True
    assert pair_served(PAIRS, "fr", "fr") is True
    assert pair_served(PAIRS, "fr", "de") is False
    assert pair_served(PAIRS, None, "de") is None  # language unknown
    assert pair_served(None, "fr", "de") is None  # pairs unknown
    down = dict(PAIRS, engines=[{"name": "apertium", "status": "unavailable"}])
    assert pair_served(down, "fr", "de") is None  # the engine might serve it


def test_texts_of_a_page_each_once_posts_first():
    post = {"id": "p1", "body": "Bonjour", "version": 2, "language": None}
    comment = {"id": "c1", "body": "Merci", "version": 1}
    reply = {"id": "c2", "body": "De rien", "version": 1, "language": "fr"}
    context = {
        "post": post,
        "posts": [post, {"id": "p2", "body": "", "version": 1}],
        "threads": {"p1": [(comment, [reply])]},
        "wiki": {"id": "w1", "title": "T", "body": "Texte", "revision": 3},
    }
    found = _texts_of(context)
    assert [(t["kind"], t["id"], t["revision"]) for t in found] == [
        ("post", "p1", 2),
        ("page", "w1", 3),
        ("comment", "c1", 1),
        ("comment", "c2", 1),
    ]
    assert found[3]["language"] == "fr"
