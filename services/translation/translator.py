"""Translate one Markdown text along a route, protected spans kept (no database here).

One engine call carries every unit of the document (Apertium: one request,
one unit per line). A unit whose placeholders did not come back intact is
translated again segment by segment (the text between its protected spans,
without placeholders) in a second call, so protected text is never lost and
the Markdown structure never changes: only text segments are translated.
"""

from __future__ import annotations

import re

from . import protect
from .backends.base import Backend, EngineUnavailable, Route

_LEAD_RE = re.compile(r"^\s*")
_TRAIL_RE = re.compile(r"\s*$")


def _split_ws(text: str) -> tuple[str, str, str]:
    lead = _LEAD_RE.match(text).group(0)
    rest = text[len(lead) :]
    trail = _TRAIL_RE.search(rest).group(0)
    return lead, rest[: len(rest) - len(trail)] if trail else rest, trail


def translate_document(doc: protect.Document, backend: Backend, route: Route) -> str:
    style = backend.placeholder
    units = doc.units
    todo = [i for i, unit in enumerate(units) if unit.needs_engine]
    results: dict[int, str] = {}
    if todo:
        answers = backend.translate([protect.render(units[i], style, doc.spans) for i in todo], route)
        if len(answers) != len(todo):
            raise EngineUnavailable(f"{backend.name} answered {len(answers)} texts for {len(todo)}")
        retry: list[int] = []
        for i, answer in zip(todo, answers, strict=True):
            restored = protect.restore(units[i], answer, doc.spans, style)
            if restored is None:
                retry.append(i)
            else:
                results[i] = restored
        if retry:
            results.update(_segment_by_segment(doc, [units[i] for i in retry], retry, backend, route))
    return protect.assemble(doc, results)


def _segment_by_segment(doc, units, indexes, backend, route) -> dict[int, str]:
    style = backend.placeholder
    segments: list[str] = []
    for unit in units:
        for part in unit.parts:
            if isinstance(part, str) and protect._LETTER_RE.search(part):
                segments.append(protect.plain_segment(_split_ws(part)[1], style))
    translated = backend.translate(segments, route) if segments else []
    if len(translated) != len(segments):
        raise EngineUnavailable(f"{backend.name} answered {len(translated)} texts for {len(segments)}")
    answers = iter(translated)
    out = {}
    for index, unit in zip(indexes, units, strict=True):
        pieces = []
        for part in unit.parts:
            if isinstance(part, int):
                pieces.append(doc.spans[part].value)
            elif protect._LETTER_RE.search(part):
                lead, _core, trail = _split_ws(part)
                pieces.append(lead + protect.read_segment(next(answers), style).strip() + trail)
            else:
                pieces.append(part)
        out[index] = "".join(pieces)
    return out
