"""formgen: bilingual forms, packs and certificates for international engineer registration."""

from formgen.exceptions import FormgenError
from formgen.main import BuildResult, build_packs, check_data, print_certificates, render

build = render
"""Render (and, with ``formats``, convert) every document: :func:`formgen.main.render`."""

__all__ = [
    "BuildResult", "FormgenError", "build", "build_packs", "check_data", "print_certificates",
    "render",
]
__version__ = "0.1.0"
