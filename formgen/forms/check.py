"""``formgen check``: every template loads, exists per language, and uses only known variables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import meta, nodes

from formgen import clock
from formgen.exceptions import FormgenError
from formgen.forms.context import build_context
from formgen.forms.engine import TEMPLATES
from formgen.messages import Joined, Message, msg
from formgen.model.applicant import LANGUAGES, Applicant
from formgen.model.manifest import Manifest

SAMPLE = {  # every part filled in, so the context has every variable
    "id": "CHECK-1", "unit": "单位",
    "name": {"zh": "名", "en": "Name"}, "gender": "male", "job_title": "t", "expertise": "e",
    "mobile": "1", "email": "a@b.cn", "company": "c", "company_address": "a",
    "company_phone": "1", "english_level": "l", "english_interview": True,
    "education": [{"start": "2000-01", "end": "2004-01", "qualification": "q", "course": "c", "institution": "i"}],
    "career": [{"start": "2020-01", "company": "c", "job_title": "j", "responsibilities": "r"}],
    "cpd": [{"date": "2025-01-01", "description": "d", "organizer": "o", "hours": 1}],
    "cmes": {"membership_no": "1", "member_grade": "member"},
    "soe": {"membership": "member", "division": "D"},
}


def _paths(node: nodes.Node, loop_vars: set[str]) -> set[str]:
    """Dotted variable paths a template reads (``a.name``, ``grade.code`` …)."""
    found: set[str] = set()
    for child in node.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(child, nodes.Getattr):
            parts = [child.attr]
            inner = child.node
            while isinstance(inner, nodes.Getattr):
                parts.insert(0, inner.attr)
                inner = inner.node
            if isinstance(inner, nodes.Name) and inner.name not in loop_vars:
                parts.insert(0, inner.name)
                found.add(".".join(parts))
        elif isinstance(child, nodes.Name) and child.ctx == "load" and child.name not in loop_vars:
            found.add(child.name)
    return found


def context_texts(manifest: Manifest, today: dt.date | None = None) -> list[str]:
    """Every text formgen writes into a document of the sample applicant, in both languages
    (check boxes, the manifest's terms, dates), for the check that fonts can draw them."""
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    sample = _sample(manifest)
    for lang in LANGUAGES:
        walk(build_context(sample, lang, manifest, "", today or clock.today()))
    return texts


def _sample(manifest: Manifest) -> Applicant:
    programme_id, programme = next(iter(manifest.programmes.items()))
    return Applicant.model_validate(
        {**SAMPLE, "programme": programme_id, "grade": next(iter(programme.grades))}
    )


def _known(value: object, prefix: str, out: set[str]) -> None:
    out.add(prefix)
    if isinstance(value, dict):
        for key, item in value.items():
            _known(item, f"{prefix}.{key}" if prefix else key, out)


def template_variables(path: Path) -> list[tuple[Message, set[str]]]:
    """The variables each rendered part of the template reads: ``(part label, paths)``."""
    compiled = TEMPLATES.get(path)
    env = compiled.parts[0].template.environment
    found = []
    for part in compiled.parts:
        ast = env.parse(part.template_source)
        loop_vars = {n.name for f in ast.find_all(nodes.For) for n in f.target.find_all(nodes.Name)}
        undeclared = meta.find_undeclared_variables(ast)
        found.append((part.label, {p for p in _paths(ast, loop_vars) if p.split(".")[0] in undeclared}))
    return found


def template_paths(manifest: Manifest) -> list[Path]:
    """Every template file of the manifest that exists, each once, in the manifest's order."""
    paths = (
        manifest.template_path(doc_id, lang)
        for doc_id, doc in manifest.documents.items() for lang in LANGUAGES if lang in doc.templates
    )
    return list(dict.fromkeys(p for p in paths if p.exists()))


def check_templates(manifest: Manifest, today: dt.date | None = None) -> list[Message]:
    """Every problem with the manifest's templates; empty when all is well."""
    problems: list[Message] = []
    known: set[str] = set()
    _known(build_context(_sample(manifest), "zh", manifest, "", today or clock.today()), "",
           known)
    for doc_id, doc in manifest.documents.items():
        variables: dict[str, set[str]] = {}
        for lang in LANGUAGES:
            if lang not in doc.templates:
                if doc.kind == "form":
                    problems.append(msg("check.no-template", document=doc_id, lang=lang))
                continue
            path = manifest.template_path(doc_id, lang)
            if not path.exists():
                problems.append(msg("check.template-missing", document=doc_id, lang=lang, path=str(path)))
                continue
            try:
                parts = template_variables(path)
            except FormgenError as e:
                problems.append(msg("check.template-error", document=doc_id, lang=lang, error=e.message))
                continue
            variables[lang] = set().union(*(names for _, names in parts))
            if doc.kind != "form":
                continue
            for label, names in parts:
                for name in sorted(names - known):
                    problems.append(msg(
                        "check.unknown-variable", document=doc_id, lang=lang, file=path.name,
                        part=label, variable=name,
                    ))
        if doc.kind == "form" and len(variables) == 2:
            # Each language may word the grade its own way (特许工程师 / Chartered Engineer (CEng)).
            zh_vars, en_vars = ({v for v in variables[lang] if not v.startswith("grade.")} for lang in LANGUAGES)
            only_zh = sorted(zh_vars - en_vars)
            only_en = sorted(en_vars - zh_vars)
        else:
            only_zh = only_en = []
        if only_zh or only_en:
            detail = tuple(
                msg("check.only-in", lang=lang, variables=names)
                for lang, names in (("zh", only_zh), ("en", only_en)) if names
            )
            problems.append(msg(
                "check.languages-differ", document=doc_id,
                detail=Joined(detail, msg("list.semicolon")),
            ))
    return problems
