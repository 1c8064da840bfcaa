"""Render DOCX templates with docxtpl: strict, autoescaped, each template compiled once.

docxtpl re-reads the template, re-patches its XML and recompiles the Jinja source on every
render. ``CompiledTemplate`` does that work once per template, then each render only runs
the compiled Jinja template and re-zips the parts, which gives the same document.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from lxml import etree
from markupsafe import Markup, escape

from formgen.exceptions import TemplateError
from formgen.messages import msg

_HEADER_FOOTER_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer",
)
_UNESCAPE = (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}"))
_UNESCAPE_FROM = tuple(old for old, _ in _UNESCAPE)


def _protect_value(value: Any) -> Markup:
    """Escape a value, and keep docxtpl's ``{_{`` escapes in it from being unescaped later.

    After rendering, docxtpl turns ``{_{`` into ``{{`` (its way for templates to print
    braces). In a value those characters must stay as given, so their ``_`` is written as
    a character reference, which the replacement does not see and XML reads back as ``_``.
    """
    text = str(escape(value))
    if "_" in text:
        for seq in _UNESCAPE_FROM:
            text = text.replace(seq, seq.replace("_", "&#95;"))
    return Markup(text)


def make_environment() -> jinja2.Environment:
    """Jinja settings for every template: a missing variable fails, values are escaped."""
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=True, finalize=_protect_value
    )


@dataclass
class _Part:
    name: str
    template: jinja2.Template
    is_body: bool
    template_source: str


class CompiledTemplate:
    """One DOCX template, parsed and compiled once, rendered many times (thread-safe)."""

    def __init__(
        self, path: Path, env: jinja2.Environment | None = None, data: bytes | None = None
    ):
        """Compile the template at ``path``, or the DOCX ``data`` (``path`` then only names it)."""
        self.path = path
        env = env or make_environment()
        try:
            raw = path.read_bytes() if data is None else data
            self._docxtpl = DocxTemplate(io.BytesIO(raw))
            self._docxtpl.render_init()
        except FileNotFoundError as e:
            raise TemplateError(msg("template.not-found", path=str(path))) from e
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
            raise TemplateError(msg("template.unreadable", path=str(path), detail=str(e))) from e
        self._raw = raw
        # The document part's root (w:document); each render puts the new body into a copy.
        self._document = etree.tostring(self._docxtpl.docx._element)
        self._lock = threading.Lock()
        self.parts: list[_Part] = []
        body = self._docxtpl.docx._part
        sources = [(body.partname.lstrip("/"), self._docxtpl.get_xml(), True)]
        for rel in body.rels.values():
            if rel.reltype in _HEADER_FOOTER_RELS and not rel.is_external:
                part = rel.target_part
                xml = self._docxtpl.get_part_xml(part)
                sources.append((part.partname.lstrip("/"), xml, False))
        for name, xml, is_body in sources:
            src = self._docxtpl.patch_xml(xml)
            src = re.sub(r"<w:p([ >])", r"\n<w:p\1", src)
            try:
                template = env.from_string(src)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateError(msg(
                    "template.syntax-error", path=str(path), part=name, detail=str(e.message)
                )) from e
            self.parts.append(_Part(name, template, is_body, src))
        self._pack_unchanged()

    def render(self, context: dict[str, Any]) -> bytes:
        """The rendered document as DOCX bytes."""
        rendered: dict[str, bytes] = {}
        for part in self.parts:
            try:
                xml = part.template.render(context)
            except jinja2.UndefinedError as e:
                raise TemplateError(msg(
                    "template.unknown-variable", path=str(self.path), detail=str(e.message)
                )) from e
            except jinja2.TemplateError as e:
                raise TemplateError(msg(
                    "template.cannot-render", path=str(self.path), part=part.name, detail=str(e)
                )) from e
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
            for old, new in _UNESCAPE:
                xml = xml.replace(old, new)
            with self._lock:  # resolve_listing and fix_tables use docxtpl's instance state
                xml = self._docxtpl.resolve_listing(xml)
                if part.is_body:
                    tree = self._docxtpl.fix_tables(xml)
                    self._docxtpl.docx_ids_index = 1000
                    self._docxtpl.fix_docpr_ids(tree)
                    document = etree.fromstring(self._document)
                    document.replace(document.find(tree.tag), tree)
                    data = etree.tostring(
                        document, encoding="UTF-8", xml_declaration=True, standalone=True
                    )
                else:
                    data = xml.encode("utf-8")
            rendered[part.name] = data
        out = io.BytesIO(self._unchanged_parts)
        out.seek(0, io.SEEK_END)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as dst:
            for name, data in rendered.items():
                # A ZipInfo of its own: writestr records sizes, CRC and offset in it, and
                # documents rendered at the same time must not share those.
                info = zipfile.ZipInfo(name, self._dates[name])
                info.compress_type = zipfile.ZIP_DEFLATED
                dst.writestr(info, data)
        return out.getvalue()

    def _pack_unchanged(self) -> None:
        """Compress, once, every part that rendering leaves as it is."""
        rendered = {p.name for p in self.parts}
        out = io.BytesIO()
        self._dates: dict[str, tuple[int, int, int, int, int, int]] = {}
        with zipfile.ZipFile(io.BytesIO(self._raw)) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED
        ) as dst:
            for info in src.infolist():
                if info.filename in rendered:
                    self._dates[info.filename] = info.date_time
                else:
                    dst.writestr(info, src.read(info.filename))
        self._unchanged_parts = out.getvalue()


class TemplateCache:
    """Compiled templates by path, reloaded when the file changes."""

    def __init__(self) -> None:
        self._templates: dict[Path, tuple[float, CompiledTemplate]] = {}
        self._lock = threading.Lock()
        self._env = make_environment()

    def get(self, path: Path) -> CompiledTemplate:
        path = path.resolve()
        try:
            stamp = path.stat().st_mtime
        except OSError as e:
            raise TemplateError(msg("template.not-found", path=str(path))) from e
        with self._lock:
            cached = self._templates.get(path)
            if cached and cached[0] == stamp:
                return cached[1]
        compiled = CompiledTemplate(path, self._env)
        with self._lock:
            self._templates[path] = (stamp, compiled)
        return compiled


TEMPLATES = TemplateCache()
