"""The record a form of formgen's carries (:mod:`formgen.forms.carry`), set beside what
was typed into it.

The carried record gives every field, in both languages, including those no page shows
(``unit`` …). What the person typed over it wins: each field whose typed value differs
from the carried one (or whose control was emptied) is a change, reported with both
values. A typed value equal to the carried one (whitespace aside) is taken as carried, so
its line breaks are kept as rendered.
"""

from __future__ import annotations

from typing import Any

from formgen.extract.document import WordDocument
from formgen.extract.fields import Parsed
from formgen.extract.read import FileReport
from formgen.extract.runs import DOUBT_BREAK
from formgen.extract.values import clean


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"name": {"zh": …}, "career": [{…}]}`` as paths: ``name.zh``, ``career[1].start``
    (rows counted from 1, as the forms' tags count them)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            out.update(flatten(item, f"{prefix}[{number}]"))
    elif value is not None and value != "" and prefix:
        out[prefix] = value
    return out


def same(a: Any, b: Any) -> bool:
    """Whether two values are the same answer: texts whitespace aside, numbers by value."""
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or str(a).casefold() == str(b).casefold()
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return clean(str(a if a is not None else "")) == clean(str(b if b is not None else ""))


def apply(report: FileReport, doc: WordDocument) -> None:
    """Set the report's key, carried values and changes from what ``doc`` carries."""
    report.key = doc.key
    if doc.carried is None:
        return
    carried = flatten(doc.carried)
    kept: list[Parsed] = []
    for value in report.read:
        had = carried.get(value.path)
        if value.weak or value.path not in carried:
            kept.append(value)
        elif same(had, value.value) or (value.doubt == DOUBT_BREAK and _unbroken(had) == _unbroken(value.value)):
            # the reading agrees with what the form carried: the carried value, certain (a
            # line break lost on the way comes back from it)
            kept.append(Parsed(value.path, had, value.text))
        else:
            report.changed.append((value.path, _shown(had), _shown(value.value)))
            kept.append(value)
    read = {v.path for v in kept}
    for control in doc.controls:  # a text control emptied: its tag is the path, as rendered
        path = control.tag
        if path in carried and path not in read and control.checked is None and not control.text.strip():
            report.changed.append((path, _shown(carried.pop(path)), ""))
    report.read = kept
    report.carried = carried


def _unbroken(value: Any) -> str:
    """A text without its line breaks and spaces: what survives a break lost on the way."""
    return "".join(str(value if value is not None else "").split())


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)
