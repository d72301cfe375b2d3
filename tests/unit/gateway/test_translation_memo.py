"""The gateway's memo of served translations: keyed by revision and exact text, bounded,
aged out, cleared on demand, and off when asked."""

from gateway.calls.translation import TranslationMemo, memo_key


def key(revision=1, texts=("Bonjour",), target="en", source="fr"):
    return memo_key("post", "p1", revision, target, source, list(texts))


def test_a_new_revision_or_other_text_or_target_is_another_key():
    assert key() == key()
    assert (
        len(
            {
                key(),
                key(revision=2),
                key(texts=("Bonjour !",)),
                key(target="es"),
                key(source=None),
                key(texts=("Bon", "jour")),
                key(texts=("Bonjour", "")),
                memo_key("comment", "p1", 1, "en", "fr", ["Bonjour"]),
            }
        )
        == 8
    )


def test_entries_age_out_after_the_ttl():
    now = [1000.0]
    memo = TranslationMemo(size=10, ttl=60, clock=lambda: now[0])
    memo.put(key(), {"markdown": "Hello"})
    now[0] += 59
    assert memo.get(key()) == {"markdown": "Hello"}
    now[0] += 1
    assert memo.get(key()) is None and len(memo) == 0


def test_least_recently_used_goes_first_and_values_are_copies():
    memo = TranslationMemo(size=2, ttl=60)
    memo.put(key(1), {"markdown": "one"})
    memo.put(key(2), {"markdown": "two"})
    memo.get(key(1))["markdown"] = "changed by a caller"
    memo.put(key(3), {"markdown": "three"})
    assert memo.get(key(2)) is None
    assert memo.get(key(1)) == {"markdown": "one"}
    assert memo.get(key(3)) == {"markdown": "three"}


def test_clear_and_off():
    memo = TranslationMemo(size=10, ttl=60)
    memo.put(key(), {"markdown": "Hello"})
    memo.clear()
    assert memo.get(key()) is None
    off = TranslationMemo(size=10, ttl=0)
    off.put(key(), {"markdown": "Hello"})
    assert not off.enabled and off.get(key()) is None and len(off) == 0
