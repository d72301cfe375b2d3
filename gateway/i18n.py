"""Languages of the web UI: catalogue compilation and locale choice.

Each language's catalogue is ``gateway/translations/<lang>/LC_MESSAGES/messages.po``
plus one part per feature in ``gateway/translations/<lang>/parts/*.po`` (so a feature
keeps its strings in its own file), plus the words shared with the services (the
notifications' sentences: ``parvis_contracts.notification_words``), plus the ``<lang>.po`` of each installed
gateway extension (``translations`` of a ``parvis_contracts.plugins.GatewayExtension``).
The compiled ``messages.mo`` is a build product (not in git): :func:`compile_catalogs`
merges the parts and writes it with Babel's API, and ``create_app`` calls it when it is
missing, older than any of its sources, or made from another set of sources (an
extension installed or removed since).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from parvis_contracts import notification_words

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

#: UI languages, the default first.
LANGUAGES = ("en", "fr", "es", "de")
DEFAULT_LANGUAGE = "en"

#: Each language named in itself, for the language switcher.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "de": "Deutsch"}


def normalise_language(value: str | None) -> str | None:
    """``"fr-CA"``/``"FR"``/``"fr_FR"`` -> ``"fr"``; unsupported or empty -> None."""
    if not value or not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def select_locale(
    query: str | None = None,
    cookie: str | None = None,
    preferred: str | None = None,
    accept_best: str | None = None,
) -> str:
    """The UI language of a request, in order of precedence:

    ``?lang=``, the language-switcher cookie, the signed-in person's preferred
    language, the browser's ``Accept-Language`` best match, then English.
    """
    for candidate in (query, cookie, preferred, accept_best):
        language = normalise_language(candidate)
        if language:
            return language
    return DEFAULT_LANGUAGE


def catalogs(directory: Path | None = None) -> list[tuple[Path, Path]]:
    """``(main po, mo)`` path pairs of every language under ``directory``."""
    root = Path(directory or TRANSLATIONS_DIR)
    return [(po, po.with_suffix(".mo")) for po in sorted(root.glob("*/LC_MESSAGES/messages.po"))]


def extension_catalogs(language: str) -> list[Path]:
    """The ``<language>.po`` of every installed gateway extension that ships one."""
    from parvis_contracts.plugins import gateway_extensions

    found = []
    for extension in gateway_extensions().values():
        directory = extension.translations_dir
        if directory is not None and (directory / f"{language}.po").is_file():
            found.append(directory / f"{language}.po")
    return found


def sources(po: Path) -> list[Path]:
    """The main catalogue of a language, its feature parts, the platform's shared words (the
    notifications' sentences, also in their mails), then the installed extensions'."""
    language = po.parent.parent.name
    return [
        po,
        *sorted(po.parent.parent.glob("parts/*.po")),
        *notification_words.catalogs(language),
        *extension_catalogs(language),
    ]


def _sources_record(mo: Path) -> Path:
    return mo.with_suffix(".sources")


def _sources_text(po: Path) -> str:
    return "\n".join(str(path) for path in sources(po)) + "\n"


def read_catalog(po: Path):
    """One language's catalogue: the main file with every part merged in."""
    language = po.parent.parent.name
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    for part in sources(po)[1:]:
        with part.open("rb") as fh:
            for message in read_po(fh, locale=language):
                if message.id:
                    catalog[message.id] = message
    return catalog


def stale_catalogs(directory: Path | None = None) -> list[Path]:
    """The main ``.po`` files whose ``.mo`` is missing or older than a source."""
    return [
        po
        for po, mo in catalogs(directory)
        if not mo.exists()
        or any(mo.stat().st_mtime < src.stat().st_mtime for src in sources(po))
        # an extension installed or removed since: its strings come or go
        or not _sources_record(mo).exists()
        or _sources_record(mo).read_text() != _sources_text(po)
    ]


def compile_catalogs(directory: Path | None = None, force: bool = False) -> list[Path]:
    """Compile ``.po`` -> ``.mo`` (stale ones, or all with ``force``); returns the ``.mo`` written.

    Each file is written to a temporary name then renamed, so concurrent
    gunicorn workers starting together never read a half-written catalogue.
    """
    written = []
    stale = set(stale_catalogs(directory))
    for po, mo in catalogs(directory):
        if not force and po not in stale:
            continue
        catalog = read_catalog(po)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo)
            _sources_record(mo).write_text(_sources_text(po))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        written.append(mo)
    return written
