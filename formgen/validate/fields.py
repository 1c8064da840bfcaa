"""Pydantic's errors, said as formgen says them: a field path and a message."""

from __future__ import annotations

import difflib
import functools
import typing
from typing import Any

from pydantic import BaseModel

from formgen.messages import Message, msg
from formgen.model.applicant import Applicant


def field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def field_message(err: Any) -> Message:
    """The message for one of pydantic's errors (``err`` from ``ValidationError.errors()``)."""
    kind = err["type"]
    value = err.get("input")
    carried = err.get("ctx", {}).get("message")
    if isinstance(carried, Message):  # raised by a validator of the model
        return carried
    if kind == "missing":
        return msg("field.missing")
    if kind == "extra_forbidden":
        around = _fields_around(err["loc"])
        if value is None and around == _LANGUAGE_KEYS:
            # {zh: 中车, en: CRRC Co., Ltd.} is read as en "CRRC Co" and a key "Ltd." of no value
            return msg("field.unknown-after-comma", key=str(err["loc"][-1]))
        close = _closest(str(err["loc"][-1]), around)
        if close is not None:
            return msg("field.unknown-did-you-mean", close=close)
        return msg("field.unknown")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        allowed = expected.replace(chr(39), "").replace(" or ", ", ").split(", ")
        return msg("field.not-one-of", value=str(value), allowed=allowed)
    if kind == "greater_than_equal":
        return msg("field.negative", value=value if isinstance(value, (int, float)) else str(value))
    if kind in ("too_short",) and isinstance(value, list):
        return msg("field.no-entries")
    if kind == "string_too_short":
        return msg("field.empty")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return msg("field.not-a-mapping")
    if kind == "list_type":
        return msg("field.not-a-list")
    if kind in ("string_type",):
        return msg("field.not-text")
    if kind == "bool_type" or kind == "bool_parsing":
        return msg("field.not-true-or-false", value=str(value))
    if kind in ("float_parsing", "float_type"):
        return msg("field.not-a-number", value=str(value))
    detail = str(err.get("msg", "")).removeprefix("Value error, ")
    return msg("field.invalid", detail=detail)


_LANGUAGE_KEYS = ("zh", "en")
"""The fields of a text in two languages."""


def _closest(name: str, fields: tuple[str, ...]) -> str | None:
    """The field most like ``name`` by difflib's measure, if one is alike enough."""
    if len(name) > 3 * max(map(len, fields), default=0):
        return None  # too long to be alike enough (a ratio of 0.6) to any of them
    return _closest_known(name, fields)


@functools.lru_cache(maxsize=65_536)
def _closest_known(name: str, fields: tuple[str, ...]) -> str | None:
    """:func:`_closest`, kept for names that come again: a misspelt column is unknown in
    every row of a sheet, and difflib takes some 0.1 ms a name."""
    close = difflib.get_close_matches(name, fields, n=1)
    return close[0] if close else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``list[Career]`` or ``Cmes | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_around(loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The field names of the model that holds the field at ``loc`` (for spelling hints)."""
    model: type[BaseModel] = Applicant
    for part in loc[:-1]:
        info = model.model_fields.get(part) if isinstance(part, str) else None
        inner = _model_in(info.annotation) if info is not None else None
        if inner is not None:
            model = inner
    return tuple(model.model_fields)
