"""The fonts formgen draws with: the family that draws each font a template names, what
fontconfig resolves each to under formgen's configuration, and the characters no font in
that configuration can draw.

``fonts.toml`` beside this file is the one list (read here and by
``scripts/setup-system.sh``, which installs its Debian packages). ``fonts.conf`` is written
from it by :func:`fonts_conf_text`: LibreOffice runs with it as ``FONTCONFIG_FILE``, it
sees only the listed families (every other installed font is rejected, so nothing falls
back to DejaVu), and it maps every font the list names to its family.
``FORMGEN_FONTS_CONF`` names another configuration (for tests, or a machine whose fonts
are elsewhere); formgen's checks and LibreOffice then use that one.

Fontconfig is asked through its command-line tools (``fc-match``, ``fc-list``, Debian's
fontconfig package, which LibreOffice needs anyway).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from formgen.exceptions import ConversionError, FormgenError
from formgen.messages import msg

FONT_LIST = Path(__file__).with_name("fonts.toml")
FONTS_CONF = Path(__file__).with_name("fonts.conf")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
"""Where Debian installs fonts; the configuration looks only there (and in the listed
families of those folders)."""
_GENERICS = ("serif", "sans-serif", "monospace")
_FC_NAME_SYNTAX = re.compile(r"([\\:,-])")  # fontconfig's pattern syntax: escaped with \\


@dataclass(frozen=True)
class Family:
    """One installed family of the list and the fonts it draws."""

    name: str
    package: str
    """The Debian package that installs it."""
    draws: tuple[str, ...]
    """The fonts templates name that it draws (Times New Roman, 宋体 …)."""
    generic: str | None = None
    """The generic family (serif, sans-serif, monospace) it stands first in, if any."""


@cache
def families(path: Path = FONT_LIST) -> tuple[Family, ...]:
    """Every family of the list, in its order."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return tuple(
        Family(item["name"], item["package"], tuple(item.get("draws", ())), item.get("generic"))
        for item in data["family"]
    )


def family_for(font: str) -> Family | None:
    """The family that must draw ``font`` (a family of the list draws itself); None when
    the list does not know the font."""
    wanted = font.casefold()
    for family in families():
        if wanted == family.name.casefold() or wanted in (d.casefold() for d in family.draws):
            return family
    return None


def fonts_conf() -> Path:
    """The fontconfig file formgen and its LibreOffice use: ``FORMGEN_FONTS_CONF`` or ``fonts.conf``."""
    chosen = os.environ.get("FORMGEN_FONTS_CONF")
    return Path(chosen).absolute() if chosen else FONTS_CONF


def fontconfig_environment(conf: Path | None = None) -> dict[str, str]:
    """The environment to run a fontconfig user (fc-match, LibreOffice) under ``conf``."""
    return {**os.environ, "FONTCONFIG_FILE": str(conf or fonts_conf())}


# ---------------------------------------------------------------- the configuration file


def fonts_conf_text(listed: Iterable[Family], dirs: Iterable[str] = FONT_DIRS) -> str:
    """The fontconfig file for ``listed`` families, finding fonts in ``dirs``."""
    listed = tuple(listed)
    out = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<!--",
        "  Fontconfig for the LibreOffice processes formgen starts (FONTCONFIG_FILE) and for",
        "  `formgen check`. Written from formgen/fonts.toml by scripts/make_fonts_conf.py:",
        "  edit the list, not this file.",
        "-->",
        "<fontconfig>",
        *(f"  <dir>{escape(d)}</dir>" for d in dirs),
        "  <cachedir>/var/cache/fontconfig</cachedir>",
        '  <cachedir prefix="xdg">fontconfig</cachedir>',
        "",
        "  <!-- Only the listed families: no other installed font can stand in for one. -->",
        "  <selectfont>",
        "    <rejectfont><pattern/></rejectfont>",
        "    <acceptfont>",
        *(
            f'      <pattern><patelt name="family"><string>{escape(f.name)}</string></patelt></pattern>'
            for f in listed
        ),
        "    </acceptfont>",
        "  </selectfont>",
        "",
        "  <!-- The fonts templates name, each drawn by its family. -->",
    ]
    for family in listed:
        for font in family.draws:
            out += [
                '  <alias binding="same">',
                f"    <family>{escape(font)}</family>",
                f"    <accept><family>{escape(family.name)}</family></accept>",
                "  </alias>",
            ]
    out += [
        "",
        "  <!-- Any other font: a serif, as the templates are. -->",
        '  <match target="pattern">',
        *(
            f'    <test qual="all" name="family" compare="not_eq"><string>{g}</string></test>'
            for g in _GENERICS
        ),
        '    <edit name="family" mode="append_last"><string>serif</string></edit>',
        "  </match>",
        "",
        "  <!-- Chinese text in a generic family: the Simplified Chinese face first. -->",
    ]
    for generic in _GENERICS:
        cjk = [f for f in listed if f.generic == generic and "CJK" in f.name]
        if cjk:
            out += [
                '  <match target="pattern">',
                '    <test name="lang" compare="contains"><string>zh</string></test>',
                f'    <test name="family"><string>{generic}</string></test>',
                f'    <edit name="family" mode="prepend" binding="same"><string>{escape(cjk[0].name)}</string></edit>',
                "  </match>",
            ]
    out.append("")
    out.append("  <!-- The generic families. -->")
    for generic in _GENERICS:
        members = [f.name for f in listed if f.generic == generic]
        if generic == "monospace":  # no monospaced CJK face is listed: the sans draws it
            members += [f.name for f in listed if f.generic == "sans-serif" and "CJK" in f.name]
        if members:
            out += [
                "  <alias>",
                f"    <family>{generic}</family>",
                "    <prefer>",
                *(f"      <family>{escape(m)}</family>" for m in members),
                "    </prefer>",
                "  </alias>",
            ]
    out += [
        "",
        "  <!-- A face a family lacks is drawn from the one it has, as Word does: slanted for",
        "       italic, emboldened for bold (AR PL UKai CN has no bold face). -->",
        '  <match target="font">',
        '    <test name="slant"><const>roman</const></test>',
        '    <test target="pattern" name="slant" compare="not_eq"><const>roman</const></test>',
        '    <edit name="matrix" mode="assign"><times><name>matrix</name>',
        "      <matrix><double>1</double><double>0.2</double><double>0</double><double>1</double></matrix>",
        "    </times></edit>",
        '    <edit name="slant" mode="assign"><const>oblique</const></edit>',
        "  </match>",
        '  <match target="font">',
        '    <test name="weight" compare="less_eq"><const>medium</const></test>',
        '    <test target="pattern" name="weight" compare="more_eq"><const>bold</const></test>',
        '    <edit name="embolden" mode="assign"><bool>true</bool></edit>',
        '    <edit name="weight" mode="assign"><const>bold</const></edit>',
        "  </match>",
        "</fontconfig>",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------- asking fontconfig


def _fontconfig(tool: str, args: list[str], conf: Path) -> str:
    program = shutil.which(tool)
    if program is None:
        raise ConversionError(msg("fonts.no-fontconfig", tool=tool))
    if not conf.is_file():  # fontconfig would go on without any configuration
        raise ConversionError(msg("fonts.no-configuration", path=str(conf)))
    try:
        done = subprocess.run(
            [program, *args], capture_output=True, env=fontconfig_environment(conf),
            timeout=60, check=True,
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise ConversionError(msg("fonts.fontconfig-failed", tool=tool, detail=str(e))) from e
    return done.stdout.decode("utf-8", "replace")


@dataclass(frozen=True)
class Resolution:
    """What fontconfig draws one font with."""

    font: str
    family: Family | None
    """The family that must draw it; None when the list does not know the font."""
    drawn_by: str
    """The family fontconfig resolves it to ('' when none at all)."""

    @property
    def ok(self) -> bool:
        """The list knows the font and fontconfig draws it with the family the list says."""
        return self.family is not None and self.drawn_by.casefold() == self.family.name.casefold()


def resolve(fonts: Iterable[str], conf: Path | None = None) -> list[Resolution]:
    """What fontconfig resolves each font to under ``conf`` (default :func:`fonts_conf`)."""
    conf = conf or fonts_conf()
    return [
        Resolution(font, family_for(font), _fontconfig(
            "fc-match", ["-f", "%{family[0]}", _FC_NAME_SYNTAX.sub(r"\\\1", font)], conf
        ).strip())
        for font in fonts
    ]


def installed_families(conf: Path | None = None) -> set[str]:
    """The families fontconfig finds under ``conf`` (case-folded)."""
    listing = _fontconfig("fc-list", ["-f", "%{family}\n"], conf or fonts_conf())
    return {name.strip().casefold() for line in listing.splitlines() for name in line.split(",")}


def missing_families(conf: Path | None = None) -> list[Family]:
    """The listed families fontconfig cannot find under ``conf``."""
    found = installed_families(conf)
    return [f for f in families() if f.name.casefold() not in found]


def missing_families_message(missing: list[Family]) -> FormgenError:
    """The error that names the missing families and the packages that install them."""
    packages = list(dict.fromkeys(f.package for f in missing))
    return ConversionError(msg(
        "fonts.missing", families=[f.name for f in missing], packages=packages,
        command="sudo apt-get install " + " ".join(packages), conf=str(fonts_conf()),
    ))


@cache
def _checked(conf: Path) -> None:
    missing = missing_families(conf)
    if missing:
        raise missing_families_message(missing)


def require_families() -> None:
    """ConversionError naming the packages to install when a listed family is missing,
    so nothing is ever drawn with a stand-in of other widths. Asked once per configuration."""
    _checked(fonts_conf())


# ---------------------------------------------------------------- characters no font has

_NO_GLYPH_NEEDED = {"Cc", "Cf", "Zl", "Zp"}  # controls, format characters, line breaks


def _ranges(charsets: str) -> list[tuple[int, int]]:
    """The merged code point ranges of fontconfig charsets (``20-7e a0 …``, one per line)."""
    ranges = []
    for item in charsets.split():
        low, _, high = item.partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


@dataclass(frozen=True)
class _Coverage:
    not_drawable: re.Pattern[str]
    """Matches any character no font has."""
    drawable: re.Pattern[str]
    """Matches a run of characters a font has, and of tabs and line breaks, which need none
    (a text matched whole has no other, found several times faster than by searching for
    one)."""
    all_ascii: bool
    """Every printable ASCII character has a font (the common case, checked fast)."""


@cache
def _coverage(conf: Path) -> _Coverage | None:
    """What the fonts under ``conf`` can draw, from fontconfig's charsets, once per process;
    None when fontconfig cannot be asked (nothing is reported then: validation also runs
    where LibreOffice is not installed, and `formgen check` says what is missing)."""
    try:
        listing = _fontconfig("fc-list", ["-f", "%{charset}\n"], conf)
    except FormgenError:
        return None
    ranges = _ranges(listing)
    if not ranges:
        return None
    covered = "".join(
        f"\\U{first:08x}" if first == last else f"\\U{first:08x}-\\U{last:08x}"
        for first, last in ranges
    )
    pattern = re.compile(f"[^{covered}]")
    return _Coverage(pattern, re.compile(f"[\t\n\r{covered}]*+"),
                     pattern.search("".join(map(chr, range(0x20, 0x7F)))) is None)


def read_coverage() -> None:
    """Ask fontconfig what the fonts can draw now, rather than on first use (a server
    does this at start, so that no request waits for it)."""
    _coverage(fonts_conf())


def undrawable(text: str) -> list[str]:
    """The characters of ``text`` that no font of formgen's configuration can draw, each
    once, in order (controls and invisible format characters need no glyph)."""
    coverage = _coverage(fonts_conf())
    if coverage is None or (coverage.all_ascii and text.isascii()):
        return []
    if _all_drawn(coverage, text):
        return []
    found: list[str] = []
    for char in coverage.not_drawable.findall(text):
        if char not in found and unicodedata.category(char) not in _NO_GLYPH_NEEDED and not _is_variation_selector(char):
            found.append(char)
    return found


def drawn_alike(text: str) -> bool:
    """Whether every character of ``text`` and of printable ASCII has a font (or needs none):
    then so do the texts made of them (as a data file's values are made of its text, and
    numbers and days written as text are ASCII). True when the fonts cannot be asked, as
    :func:`undrawable` then finds nothing either."""
    coverage = _coverage(fonts_conf())
    if coverage is None:
        return True
    return coverage.all_ascii and _all_drawn(coverage, text)


def _all_drawn(coverage: _Coverage, text: str) -> bool:
    """Whether every character of ``text`` has a font or needs none."""
    return coverage.drawable.match(text).end() == len(text)  # type: ignore[union-attr]


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
