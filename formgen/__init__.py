"""formgen: bilingual forms, packs and certificates for international engineer registration."""

from .exceptions import FormgenError
from .main import BuildResult, check_data, render

__all__ = ["BuildResult", "FormgenError", "build", "check_data", "render"]
__version__ = "0.1.0"


def build(*args, **kwargs):  # noqa: ANN002, ANN003
    """Render (and, with ``formats``, convert) every document; see :func:`formgen.main.render`."""
    return render(*args, **kwargs)
