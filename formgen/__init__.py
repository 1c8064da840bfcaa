"""formgen: bilingual forms, packs and certificates for international engineer registration."""

from .exceptions import FormgenError
from .main import BuildResult, build_packs, check_data, render

build = render
"""Render (and, with ``formats``, convert) every document: :func:`formgen.main.render`."""

__all__ = ["BuildResult", "FormgenError", "build", "build_packs", "check_data", "render"]
__version__ = "0.1.0"
