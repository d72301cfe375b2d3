"""Language codes: ISO 639-1 at our boundary, ISO 639-3 where Apertium wants them."""

from __future__ import annotations

#: ISO 639-1 -> ISO 639-3 for the languages Apertium and the other engines commonly serve
TO_639_3 = {
    "af": "afr",
    "an": "arg",
    "ar": "ara",
    "ast": "ast",
    "be": "bel",
    "bg": "bul",
    "br": "bre",
    "ca": "cat",
    "cs": "ces",
    "cy": "cym",
    "da": "dan",
    "de": "deu",
    "el": "ell",
    "en": "eng",
    "eo": "epo",
    "es": "spa",
    "et": "est",
    "eu": "eus",
    "fi": "fin",
    "fr": "fra",
    "ga": "gle",
    "gl": "glg",
    "he": "heb",
    "hi": "hin",
    "hr": "hrv",
    "hu": "hun",
    "id": "ind",
    "is": "isl",
    "it": "ita",
    "ja": "jpn",
    "kk": "kaz",
    "ko": "kor",
    "lt": "lit",
    "lv": "lav",
    "mk": "mkd",
    "ms": "msa",
    "mt": "mlt",
    "nb": "nob",
    "nl": "nld",
    "nn": "nno",
    "no": "nor",
    "oc": "oci",
    "pl": "pol",
    "pt": "por",
    "ro": "ron",
    "ru": "rus",
    "sc": "srd",
    "sk": "slk",
    "sl": "slv",
    "sq": "sqi",
    "sr": "srp",
    "sv": "swe",
    "tr": "tur",
    "uk": "ukr",
    "ur": "urd",
    "zh": "zho",
}
TO_639_1 = {three: two for two, three in TO_639_3.items()}
# a few ISO 639-3 / 639-2 synonyms Apertium uses for the same languages
TO_639_1.update({"hbs": "sr", "zlm": "ms", "frp": None, "fre": "fr", "ger": "de"})


def to_apertium(code: str) -> str:
    """``fr`` -> ``fra``; a code we do not know goes through unchanged."""
    return TO_639_3.get(code, code)


def from_apertium(code: str) -> str | None:
    """``fra`` -> ``fr``; ``por_BR`` -> ``None`` (regional variants are not listed);
    ``None`` for a language with no ISO 639-1 code."""
    if "_" in code:
        return None
    if len(code) == 2:
        return code
    return TO_639_1.get(code)
