"""Write formgen/fonts.conf from the font list formgen/fonts.toml.

    python scripts/make_fonts_conf.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formgen.fonts import FONT_LIST, FONTS_CONF, families, fonts_conf_text  # noqa: E402

if __name__ == "__main__":
    FONTS_CONF.write_text(fonts_conf_text(families(FONT_LIST)), "utf-8")
    print(f"wrote {FONTS_CONF}")
