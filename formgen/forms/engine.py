"""Render DOCX templates with docxtpl: strict, autoescaped, each template compiled once.

docxtpl re-reads the template, re-patches its XML and recompiles the Jinja source on every
render. ``CompiledTemplate`` does that work once per template, then each render only runs
the compiled Jinja templates and re-zips the parts, which gives the same document.

The parts rendered are every part Word lets staff type into and docxtpl renders: the
body, each header and footer, the footnotes, the core document properties (File ›
Properties: title, subject, keywords, description …) and the custom ones, and also the
endnotes, which docxtpl leaves alone. A line break in a value is ``<w:br/>`` in the value's
run, as docxtpl makes it; then, unlike docxtpl, a form's plain-text control holding one
becomes a rich-text control in a bookmark, which LibreOffice prints with its lines (see
:mod:`formgen.forms.lines`). Word comments are kept as they are, as docxtpl keeps them: they
are not printed.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate, InlineImage
from lxml import etree
from markupsafe import Markup, escape

from formgen.bounds import Refused
from formgen.docxzip import check_template, read_template
from formgen.exceptions import TemplateError
from formgen.forms.lines import bookmark_ids, print_lines
from formgen.messages import Message, msg

_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_HEADER_FOOTER_RELS: dict[str, Callable[[str], Message]] = {
    _RELS + "header": lambda name: msg("part.header", name=name),
    _RELS + "footer": lambda name: msg("part.footer", name=name),
}
_WORD_TYPES = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_OTHER_PARTS: dict[str, Callable[[], Message]] = {  # wherever the package has them
    _WORD_TYPES + "footnotes+xml": lambda: msg("part.footnotes"),
    _WORD_TYPES + "endnotes+xml": lambda: msg("part.endnotes"),
    "application/vnd.openxmlformats-package.core-properties+xml": lambda: msg("part.properties"),
    # A fillable form says in its custom properties what it is and whose.
    "application/vnd.openxmlformats-officedocument.custom-properties+xml":
        lambda: msg("part.properties"),
}
CUSTOM_PROPERTIES = "docProps/custom.xml"
"""The custom properties' part, rendered like the body (see scripts/make_templates.py)."""
_UNESCAPE = (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}"))
_UNESCAPE_FROM = tuple(old for old, _ in _UNESCAPE)


class _NeedsDocument(Exception):
    """A value that docxtpl draws into the document being rendered (an image)."""

    def __init__(self, value: object):
        super().__init__(type(value).__name__)
        self.value = value


def _protect_value(value: Any) -> Markup:
    """Escape a value, and keep docxtpl's ``{_{`` escapes in it from being unescaped later;
    a line ended by ``\\r\\n`` or ``\\r`` is ended by ``\\n``, which rendering makes a line
    break (docxtpl leaves ``\\r``, which XML reads as a space).

    After rendering, docxtpl turns ``{_{`` into ``{{`` (its way for templates to print
    braces). In a value those characters must stay as given, so their ``_`` is written as
    a character reference, which the replacement does not see and XML reads back as ``_``.
    """
    if isinstance(value, InlineImage):
        raise _NeedsDocument(value)
    text = str(escape(value))
    if "\r" in text:  # a line ended as on Windows or old Macs is a line break too
        text = text.replace("\r\n", "\n").replace("\r", "\n")
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
    """The part's name in the DOCX (``word/footnotes.xml``)."""
    label: Message
    """What staff call it (the body, a header, the footnotes, the document properties)."""
    template: jinja2.Template
    is_body: bool
    template_source: str


def _value_path(container: Any, value: object, prefix: str = "") -> str | None:
    """Where ``value`` (the object itself) is in the context: ``photo``, ``a.signature``."""
    items = (
        container.items() if isinstance(container, dict)
        else enumerate(container) if isinstance(container, (list, tuple)) else ()
    )
    for key, item in items:
        path = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        if item is value:
            return path
        found = _value_path(item, value, path)
        if found:
            return found
    return None


class CompiledTemplate:
    """One DOCX template, parsed and compiled once, rendered many times (thread-safe)."""

    def __init__(
        self, path: Path, env: jinja2.Environment | None = None, data: bytes | None = None
    ):
        """Compile the template at ``path``, or the DOCX ``data`` (``path`` then only names it)."""
        self.path = path
        env = env or make_environment()
        try:
            if data is None:
                raw = read_template(path)  # bounded before docxtpl opens it
            else:
                check_template(data)
                raw = data
            self._docxtpl = DocxTemplate(io.BytesIO(raw))
            self._docxtpl.render_init()
        except FileNotFoundError as e:
            raise TemplateError(msg("template.not-found", path=str(path))) from e
        except Refused as e:
            raise TemplateError(msg("template.refused", path=str(path), reason=e.message)) from e
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
            raise TemplateError(msg("template.unreadable", path=str(path), detail=str(e))) from e
        self._raw = raw
        # The document part's root (w:document); each render puts the new body into a copy.
        self._document = etree.tostring(self._docxtpl.docx._element)
        self._lock = threading.Lock()
        self.parts: list[_Part] = []
        try:
            sources = self._sources()
        except (etree.LxmlError, ValueError) as e:  # a part that is not well-formed XML
            raise TemplateError(msg("template.unreadable", path=str(path), detail=str(e))) from e
        for name, label, xml, is_body in sources:
            src = self._docxtpl.patch_xml(xml)
            src = re.sub(r"<w:p([ >])", r"\n<w:p\1", src)
            try:
                template = env.from_string(src)
            except jinja2.TemplateSyntaxError as e:
                raise TemplateError(msg(
                    "template.syntax-error", path=str(path), part=label, detail=str(e.message)
                )) from e
            self.parts.append(_Part(name, label, template, is_body, src))
        self._pack_unchanged()

    def _sources(self) -> list[tuple[str, Message, str, bool]]:
        """``(name, label, xml, is_body)`` of each part rendered, the body first."""
        body = self._docxtpl.docx._part
        sources = [(body.partname.lstrip("/"), msg("part.body"), self._docxtpl.get_xml(), True)]
        for rel in body.rels.values():
            if rel.reltype in _HEADER_FOOTER_RELS and not rel.is_external:
                part = rel.target_part
                name = part.partname.lstrip("/")
                label = _HEADER_FOOTER_RELS[rel.reltype](name)
                sources.append((name, label, self._docxtpl.get_part_xml(part), False))
        for part in body.package.iter_parts():
            if part.content_type in _OTHER_PARTS and part.blob:
                label = _OTHER_PARTS[part.content_type]()
                sources.append((part.partname.lstrip("/"), label, self._docxtpl.get_part_xml(part), False))
        return sources

    def render(self, context: dict[str, Any]) -> bytes:
        """The rendered document as DOCX bytes."""
        rendered: dict[str, bytes] = {}
        ids = bookmark_ids()
        for part in self.parts:
            try:
                xml = part.template.render(context)
            except jinja2.UndefinedError as e:
                raise TemplateError(msg(
                    "template.unknown-variable", path=str(self.path), part=part.label,
                    detail=str(e.message),
                )) from e
            except jinja2.TemplateError as e:
                raise TemplateError(msg(
                    "template.cannot-render", path=str(self.path), part=part.label, detail=str(e)
                )) from e
            except _NeedsDocument as e:
                raise TemplateError(msg(
                    "template.image-value", path=str(self.path), part=part.label,
                    variable=_value_path(context, e.value) or str(e), kind=str(e),
                )) from None
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
            for old, new in _UNESCAPE:
                xml = xml.replace(old, new)
            with self._lock:  # resolve_listing and fix_tables use docxtpl's instance state
                xml = self._docxtpl.resolve_listing(xml)
                xml = print_lines(xml, ids)  # the one step docxtpl does not take
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
