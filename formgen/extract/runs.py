"""The text of a paragraph as the person typed it, whatever a word processor made of it.

A value typed into one of formgen's content controls comes back from LibreOffice (7.4:
a re-saved DOCX, or a form saved as ``.doc``, ``.odt`` or ``.rtf`` and converted back)
written several times over. LibreOffice cuts the control's text into portions where the
script changes (李晓明 / 2009 / 年 / 9 / 月) and writes one control, or one input field
(``FORMTEXT`` from ``.doc`` and ``.rtf``, ``FILLIN`` from ``.odt``), per portion, each
holding the whole text, with the portion itself left between them::

    [2009年9月] 年 [2009年9月] 9 [2009年9月] 月 [2009年9月] [2009年9月]

Read as it stands, that is "2009年9月年2009年9月9…". Here such a run of copies is read
once: the copies agree and what lies between them is only pieces of the text. A line
break typed in the value is moved out of it (to stand alone just before the value), so
where a value follows a break standing alone its lines cannot be known: the value is
read, with a doubt saying so. Copies that disagree give a doubt too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

CHECKED_MARK, UNCHECKED_MARK = "☑", "☐"
# Symbol fonts' boxes and ticks, by character code (Word writes w:sym for them).
_SYMBOLS = {
    "F0FE": CHECKED_MARK, "F0FD": CHECKED_MARK, "F078": CHECKED_MARK, "F0FC": "√",
    "F0A8": UNCHECKED_MARK, "F06F": UNCHECKED_MARK, "F071": UNCHECKED_MARK,
    "F052": CHECKED_MARK, "F054": CHECKED_MARK, "F0A3": UNCHECKED_MARK, "F050": "√",
}
_INPUT_FIELDS = ("FORMTEXT", "FILLIN")
"""Fields that hold a typed value (a converted content control's text)."""
_JUNK = ("0",)
"""What LibreOffice leaves between copies besides portions of the text (RTF)."""

DOUBT_BREAK = "break"
"""A line break typed in the value was moved out of it: its place is lost."""
DOUBT_COPIES = "copies"
"""The copies of a value disagree."""


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


_T, _TAB, _BR, _CR, _SYM, _CHECKBOX = (w(t) for t in ("t", "tab", "br", "cr", "sym", "checkBox"))
_FLDCHAR, _INSTR, _SDT, _SDTPR, _SDTCONTENT = (
    w(t) for t in ("fldChar", "instrText", "sdt", "sdtPr", "sdtContent"))
_NO_TEXT = frozenset(w(t) for t in ("rPr", "pPr", "sdtPr", "sdtEndPr", "proofErr", "lastRenderedPageBreak",
                                    "bookmarkStart", "bookmarkEnd"))
"""Elements with no text in them: not walked into."""


_TAG, _ALIAS = f"{_SDTPR}/{w('tag')}", f"{_SDTPR}/{w('alias')}"


def sdt_tag(sdt: etree._Element) -> str:
    """A content control's tag, else its title (alias); "" without either."""
    found = sdt.find(_TAG)
    if found is None:
        found = sdt.find(_ALIAS)
    return found.get(w("val"), "") if found is not None else ""


def copies_of(sdt: etree._Element, tag: str | None = None) -> list[etree._Element]:
    """The controls LibreOffice wrote after ``sdt`` as copies of it (same tag, next to it)."""
    out: list[etree._Element] = []
    nxt = sdt.getnext()
    if nxt is None or nxt.tag != _SDT:
        return out
    tag = sdt_tag(sdt) if tag is None else tag
    while tag and nxt is not None and nxt.tag == _SDT and sdt_tag(nxt) == tag:
        out.append(nxt)
        nxt = nxt.getnext()
    return out


def is_copy(sdt: etree._Element) -> bool:
    """Whether ``sdt`` is one of the copies following a first control with its tag."""
    prev = sdt.getprevious()
    if prev is None or prev.tag != _SDT:
        return False
    tag = sdt_tag(sdt)
    return bool(tag) and sdt_tag(prev) == tag


@dataclass
class _Piece:
    text: str
    copies: int = 1
    """How many copies of a typed value this piece stands for (fields or controls)."""
    field: bool = False
    doubt: str | None = None


@dataclass
class _Walk:
    pieces: list[_Piece] = field(default_factory=list)
    depth: int = 0
    instr: str = ""
    result: list[str] | None = None
    in_result: bool = False

    def emit(self, text: str) -> None:
        if self.depth and self.in_result and self.result is not None:
            self.result.append(text)
        elif self.pieces and not self.pieces[-1].field:
            self.pieces[-1].text += text
        else:
            self.pieces.append(_Piece(text))


def _char(el: etree._Element) -> str:
    tag = el.tag
    if tag == _T:
        return el.text or ""
    if tag == _TAB:
        return "\t"
    if tag in (_BR, _CR):
        return "\n"
    if tag == _SYM:
        code = (el.get(w("char")) or "").upper()
        return _SYMBOLS.get(code if code.startswith("F") else "F0" + code[-2:], "")
    if tag == _CHECKBOX:  # a legacy form field
        checked = el.find(w("checked"))
        if checked is None:
            checked = el.find(w("default"))
        on = checked is not None and checked.get(w("val"), "1") not in ("0", "false")
        return CHECKED_MARK if on else UNCHECKED_MARK
    return ""


def _walk(node: etree._Element, state: _Walk) -> None:
    for el in node:
        tag = el.tag
        if tag in _NO_TEXT:
            continue
        if tag == _SDT:
            if is_copy(el):
                continue
            name = sdt_tag(el)
            if name:
                copies = copies_of(el, name)
                inner = _Walk()
                _walk(el, inner)
                text = "".join(p.text for p in inner.pieces)
                agree = all(_text_of(c).endswith(text) for c in copies)
                state.pieces.append(_Piece(text, 1 + len(copies), True,
                                           None if agree else DOUBT_COPIES))
                continue
        elif tag == _FLDCHAR:
            kind = el.get(w("fldCharType"))
            if kind == "begin":
                state.depth += 1
                if state.depth == 1:
                    state.instr, state.result, state.in_result = "", [], False
                _walk(el, state)  # a legacy checkbox lives in the begin's ffData
            elif kind == "separate" and state.depth == 1:
                state.in_result = True
            elif kind == "end" and state.depth:
                state.depth -= 1
                if state.depth == 0:
                    text = "".join(state.result or [])
                    state.result, state.in_result = None, False
                    if state.instr.split()[:1] and state.instr.split()[0].upper() in _INPUT_FIELDS:
                        state.pieces.append(_Piece(text, 1, True))
                    else:
                        state.emit(text)
            continue
        elif tag == _INSTR:
            if state.depth == 1 and not state.in_result:
                state.instr += el.text or ""
            continue
        char = _char(el)
        if char:
            if state.depth and not state.in_result and tag != _CHECKBOX:
                continue
            state.emit(char)
            continue
        _walk(el, state)


def _text_of(node: etree._Element) -> str:
    state = _Walk()
    _walk(node, state)
    return "".join(p.text for p in state.pieces)


def _pieces(node: etree._Element) -> list[_Piece]:
    """``node``'s text in pieces, each run of copies of a value read once."""
    state = _Walk()
    _walk(node, state)
    return _merge(state.pieces)


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Runs of copies of one value (fields holding the same text, with only pieces of
    it between them) read once."""
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if not piece.field:
            out.append(piece)
            i += 1
            continue
        merged = _Piece(piece.text, piece.copies, True, piece.doubt)
        j = i + 1
        while j < len(pieces):
            nxt = pieces[j]
            if nxt.field and nxt.text == merged.text:
                merged.copies += nxt.copies
                j += 1
                continue
            between = nxt.text  # a portion of the text as it is: a space alone is no portion
            after = pieces[j + 1] if j + 1 < len(pieces) else None
            if (not nxt.field and after is not None and after.field and after.text == merged.text
                    and between.strip()
                    and (between in merged.text or between in _JUNK
                         or (between[-1:] in _JUNK and between[:-1] in merged.text))):
                merged.copies += after.copies
                j += 2
                continue
            break
        out.append(merged)
        i = j
    return out


def paragraph_text(node: etree._Element) -> tuple[str, str | None]:
    """The text of ``node`` (a paragraph, or a control's content) with boxes as ☑/☐,
    each typed value once; and a doubt (:data:`DOUBT_BREAK`, :data:`DOUBT_COPIES`) when
    LibreOffice's copies leave the value uncertain."""
    pieces = _pieces(node)
    doubt = next((p.doubt for p in pieces if p.doubt), None)
    for i, piece in enumerate(pieces):
        if not piece.field:
            continue
        if i and _lone_break(pieces[i - 1].text):
            doubt = doubt or DOUBT_BREAK
    return "".join(p.text for p in pieces), doubt


def _lone_break(text: str) -> bool:
    """A line break standing alone beside a value: where LibreOffice puts the breaks it
    took out of a content control or input field."""
    return "\n" in text and not text.strip()


def inputs(node: etree._Element) -> list[tuple[str, str, str | None]]:
    """Each typed value in a paragraph (an input field, or a control LibreOffice wrote
    over) with the text just before it on its line (its label) and its doubt."""
    return _inputs(_pieces(node))


def read_paragraph(node: etree._Element) -> tuple[str, list[tuple[str, str, str | None]]]:
    """The text of one paragraph (as :func:`paragraph_text`, without the doubt) and its
    :func:`inputs`, read once."""
    pieces = _pieces(node)
    return "".join(p.text for p in pieces), _inputs(pieces)


def _inputs(pieces: list[_Piece]) -> list[tuple[str, str, str | None]]:
    out = []
    for i, piece in enumerate(pieces):
        if piece.field and piece.text.strip():
            before = pieces[i - 1].text if i and not pieces[i - 1].field else ""
            doubt = piece.doubt or (DOUBT_BREAK if i and _lone_break(pieces[i - 1].text) else None)
            out.append((before.rsplit("\n", 1)[-1], piece.text, doubt))
    return out


def control_doubt(sdt: etree._Element) -> str | None:
    """A doubt about a control LibreOffice wrote several times over or took a line break
    out of (see the module's text); None when there is none."""
    copies = copies_of(sdt)
    text = _text_of(sdt)
    if not all(_text_of(c).endswith(text) for c in copies):
        return DOUBT_COPIES
    before = sdt.getprevious()
    if before is not None and before.tag != _SDT and _lone_break(_text_of(before)):
        return DOUBT_BREAK
    return None
