"""formgen: bilingual forms, packs and certificates for international engineer registration.

The library's calls (``from formgen import render``) are loaded when first used, so that
importing one module of the package (``formgen.language``, ``formgen.model.applicant``)
does not import the whole of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formgen.exceptions import FormgenError
    from formgen.main import BuildResult, build_packs, check_data, print_certificates, render

    build = render

_PUBLIC: dict[str, tuple[str, str]] = {
    "BuildResult": ("formgen.main", "BuildResult"),
    "FormgenError": ("formgen.exceptions", "FormgenError"),
    "build": ("formgen.main", "render"),  # render (and, with formats, convert) every document
    "build_packs": ("formgen.main", "build_packs"),
    "check_data": ("formgen.main", "check_data"),
    "print_certificates": ("formgen.main", "print_certificates"),
    "render": ("formgen.main", "render"),
}
"""Each public name: the module that holds it, and its name there."""

__all__ = [
    "BuildResult", "FormgenError", "build", "build_packs", "check_data", "print_certificates",
    "render",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
