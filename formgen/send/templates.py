"""The message templates staff edit: subject, plain text and HTML per kind and language.

Jinja2 under a strict undefined (a variable the context lacks fails loudly); the HTML is
escaped automatically, the subject and the plain text are not (they are not HTML). The
variables a template may use are those of :func:`sample_context`; ``formgen check``
renders every template with it (:func:`check_message_templates`) and compares each
zh/en pair's variables, as it does for the documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta

from formgen.exceptions import TemplateError
from formgen.language import Language
from formgen.messages import Message, msg
from formgen.model.mail import MESSAGE_KINDS, TEMPLATE_PARTS, MessageKind
from formgen.model.manifest import Manifest


@dataclass(frozen=True)
class Written:
    """One message in one language, as its templates render it."""

    lang: Language
    subject: str
    text: str
    html: str


def part_path(manifest: Manifest, kind: MessageKind, lang: Language, part: str) -> Path:
    """The file of one part (``subject.txt``, ``txt``, ``html``) of a message template."""
    spec = manifest.mail.messages.get(kind)
    if spec is None or lang not in spec.templates:
        raise TemplateError(msg("send.no-message-template", kind=kind, lang=lang))
    return manifest.root / f"{spec.templates[lang]}.{part}"


def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        autoescape=html, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=False,
    )


_TEXT_ENV = _environment(False)
_HTML_ENV = _environment(True)


@lru_cache(maxsize=64)
def _compiled(path: Path, mtime_ns: int, html: bool) -> jinja2.Template:
    source = path.read_text(encoding="utf-8")
    return (_HTML_ENV if html else _TEXT_ENV).from_string(source)


def _template(path: Path) -> jinja2.Template:
    try:
        stat = path.stat()
        return _compiled(path, stat.st_mtime_ns, path.suffix == ".html")
    except OSError as e:
        raise TemplateError(msg("send.template-unreadable", path=str(path),
                                reason=str(e.strerror or e))) from e
    except UnicodeDecodeError as e:
        raise TemplateError(msg("send.template-unreadable", path=str(path), reason=str(e))) from e
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(msg("send.template-syntax", path=str(path), line=str(e.lineno),
                                reason=str(e.message))) from e


def _render(path: Path, context: dict[str, Any]) -> str:
    try:
        return _template(path).render(context)
    except jinja2.UndefinedError as e:
        raise TemplateError(msg("send.template-undefined", path=str(path),
                                reason=str(e.message))) from e
    except (jinja2.TemplateError, TypeError, ValueError) as e:
        raise TemplateError(msg("send.template-failed", path=str(path), reason=str(e))) from e


def write(manifest: Manifest, kind: MessageKind, lang: Language, context: dict[str, Any]) -> Written:
    """The subject (one line), the plain text and the HTML of one message in ``lang``."""
    subject, text, html = (_render(part_path(manifest, kind, lang, part), context)
                           for part in TEMPLATE_PARTS)
    return Written(lang, " ".join(subject.split()), text.strip() + "\n", html.strip())


def sample_context(lang: Language) -> dict[str, Any]:
    """Every variable a message template may use, with values of the right shape."""
    zh = lang == "zh"
    return {
        "name": "李晓明" if zh else "LI Xiaoming",
        "id": "CSEE-2026-0007",
        "programme": "工程能力评价/国际工程师资质认证" if zh else "International Professional Engineer Registration",
        "grade": "主任工程师" if zh else "Incorporated Engineer",
        "society": "中国电机工程学会" if zh else "Chinese Society for Electrical Engineering",
        "contact": ["电话：010-63416782" if zh else "Tel. 010-63416782"],
        "deadline": "2026年11月25日" if zh else "25 November 2026",
        "link": {"url": "https://forms.example.org/f/3q2-7wEvrK9c1bJZ4xX0Ag",
                 "expires": "2026年12月23日" if zh else "23 December 2026"},
        "attachments": [{"name": "CSEE-2026-0007-李晓明.zip", "size": "1.2 MB"}],
        "downloads": [{"name": "CSEE-2026-0007-李晓明.zip", "size": "12 MB",
                       "url": "https://forms.example.org/d/x", "expires": "23 December 2026"}],
        "fees": [{"item": "面试费" if zh else "Interview fee", "amount": "1,000元", "per": ""}],
        "certificates": [{"title": "ECUK certificate", "number": "CSEE-IET-2026-000001",
                          "code": "7KQ2-M9XD-4T", "issued": "2026年11月23日"}],
    }


def _variables(path: Path) -> set[str]:
    env = _HTML_ENV if path.suffix == ".html" else _TEXT_ENV
    return set(meta.find_undeclared_variables(env.parse(path.read_text(encoding="utf-8"))))


def check_message_templates(manifest: Manifest) -> list[Message]:
    """Every message template of the manifest: present, readable, using only the known
    variables, and each zh/en pair using the same ones; the problems found."""
    problems: list[Message] = []
    for kind in MESSAGE_KINDS:
        spec = manifest.mail.messages.get(kind)
        if spec is None:
            problems.append(msg("send.no-message-template", kind=kind, lang="zh, en"))
            continue
        for part in TEMPLATE_PARTS:
            used: dict[str, set[str]] = {}
            for lang in spec.templates:
                path = part_path(manifest, kind, lang, part)
                try:
                    _template(path)  # readable, and no syntax error
                    used[lang] = _variables(path)
                    _render(path, sample_context(lang))
                except TemplateError as e:
                    problems.append(e.message)
            if len(used) == 2 and used["zh"] != used["en"]:
                problems.append(msg(
                    "send.template-pair-differs", kind=kind, part=part,
                    only_zh=sorted(used["zh"] - used["en"]), only_en=sorted(used["en"] - used["zh"])))
    return problems
