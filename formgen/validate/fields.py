"""Pydantic's errors, said as formgen says them: a field path and a plain sentence."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from formgen.model.applicant import Applicant


def field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out



def _message(err: Any, model_fields: list[str]) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, model_fields, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"is not a known field{hint}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"'{value}' is not one of: {expected.replace(chr(39), '').replace(' or ', ', ')}"
    if kind == "greater_than_equal":
        if isinstance(value, float):
            value = f"{value:g}"  # a CSV cell '-2' arrives here as -2.0
        return f"must not be negative (got {value})"
    if kind in ("too_short",) and isinstance(value, list):
        return "needs at least one entry"
    if kind == "string_too_short":
        return "is empty"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a group of fields (a mapping)"
    if kind == "list_type":
        return "must be a list of entries"
    if kind in ("string_type",):
        return "must be text"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"'{value}' is not true or false"
    if kind in ("float_parsing", "float_type"):
        return f"'{value}' is not a number"
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as ``list[Career]`` or ``Cmes | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_around(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model that holds the field at ``loc`` (for spelling hints)."""
    model: type[BaseModel] = Applicant
    for part in loc[:-1]:
        info = model.model_fields.get(part) if isinstance(part, str) else None
        inner = _model_in(info.annotation) if info is not None else None
        if inner is not None:
            model = inner
    return _fields_of(model)



def field_message(err: Any) -> str:
    """The sentence for one of pydantic's errors (``err`` from ``ValidationError.errors()``)."""
    return _message(err, _fields_around(err["loc"]))
