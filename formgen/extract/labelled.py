"""Forms without tags, read by their labels: the society's own registration form as laid
out in the notice (a two-language label cell, the value in the next cell; education and
career rows under their headings), its CPD record and cross-reference table, and any form
a suite has stripped of its tags.

Labels are matched by their Chinese characters or their English letters, so 职务/职称 Job
Title, 职务职称 and Job Title are one label. The result is raw text per data path; the
caller parses and checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formgen.extract.document import Cell, WordDocument
from formgen.extract.values import clean, is_chinese, label_key

# field → (Chinese labels, English labels, kind); kind "local" splits Chinese from English
PERSONAL: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "name": (("姓名", "申请人姓名", "中文姓名", "英文姓名", "姓名拼音"),
             ("name", "fullname", "applicantname", "nameinfull", "englishname", "chinesename"), "local"),
    "gender": (("性别",), ("gender", "sex"), "choice"),
    "job_title": (("职务职称", "职务", "职称", "职位", "现任职务", "技术职称", "专业技术职称"),
                  ("jobtitle", "position", "title", "currentposition", "post", "designation"), "local"),
    "expertise": (("所属行业", "行业", "专业领域", "从事专业", "专业方向", "技术领域", "专业"),
                  ("expertise", "industry", "fieldofexpertise", "areaofexpertise", "field",
                   "sector", "specialty", "speciality", "specialism", "discipline"), "local"),
    "mobile": (("手机", "手机号码", "移动电话", "手机号", "联系电话", "联系方式"),
               ("contact", "mobile", "mobilephone", "mobileno", "mobilenumber", "cellphone",
                "cell", "contactnumber", "contactphone"), "text"),
    "company": (("单位名称", "工作单位", "单位", "所在单位", "工作单位名称"),
                ("company", "employer", "companyname", "employername", "organisation",
                 "organization", "workunit"), "local"),
    "company_address": (("单位地址", "工作单位地址", "通讯地址", "地址", "单位通讯地址"),
                        ("companyaddress", "address", "employeraddress", "officeaddress",
                         "workaddress", "postaladdress", "businessaddress"), "local"),
    "company_phone": (("单位电话", "办公电话", "固定电话", "座机", "工作电话"),
                      ("phone", "companyphone", "telephone", "officephone", "workphone",
                       "officetelephone", "tel", "businessphone", "landline"), "text"),
    "email": (("邮箱", "电子邮箱", "电子邮件", "邮件"), ("email", "emailaddress", "mail"), "text"),
    "english_level": (("英文水平", "英语水平", "外语水平", "英语能力"),
                      ("englishlevel", "englishproficiency", "levelofenglish", "english",
                       "englishability", "englishskills", "englishlanguage"), "local"),
    "english_interview": (("是否全英文面试", "英文面试", "是否英文面试", "全英文面试", "面试语言"),
                          ("englishinterview", "interviewinenglish", "fullenglishinterview",
                           "interviewlanguage"), "choice"),
    "grade": (("申请级别", "申请等级"), ("gradeappliedfor", "grade", "gradeapplied"), "choice"),
    "id": (("申请编号", "编号"), ("applicationno", "referenceno", "applicationnumber", "reference"), "text"),
    "unit": (("推荐单位",), ("nominatingunit", "nominatedby"), "text"),
}
"""Field → (Chinese labels, English labels, kind); kind "local" splits Chinese from English.
Labels are compared by their Chinese characters and their Latin letters in lower case
(:func:`formgen.extract.values.label_key`), so punctuation, colons (full-width or not),
spaces and case do not count."""
SECTIONS = {
    "education": (("教育经历",), ("education",)),
    "career": (("工作经历",), ("careerhistory",)),
    "description": (("个人描述",), ("personaldescription",)),
}
COLUMNS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "education": {
        "start_end": (("开始结束", "起止时间", "时间"), ("startend", "fromto", "dates")),
        "start": (("开始",), ("start", "from")),
        "end": (("结束",), ("end", "to")),
        "qualification": (("学历", "学位", "学历学位"), ("qualifications", "qualification", "degree")),
        "course": (("所学专业", "专业"), ("course", "major", "subject", "fieldofstudy", "programme")),
        "institution": (("毕业院校", "院校", "学校"), ("educationalestablishment", "institution", "university")),
    },
    "career": {
        "start_end": (("开始结束", "起止时间", "时间"), ("startend", "fromto", "dates")),
        "start": (("开始",), ("start", "from")),
        "end": (("结束",), ("end", "to")),
        "company": (("工作单位", "单位"), ("company", "employer")),
        "job_title": (("工作职位", "职位", "职务"), ("jobtitle", "position")),
        "responsibilities": (("工作职责", "职责", "主要职责", "工作内容"),
                             ("responsibilities", "duties", "mainduties", "mainresponsibilities",
                              "keyresponsibilities", "role")),
    },
    "cpd": {
        "date": (("时间", "日期"), ("date",)),
        "description": (("继续教育内容", "内容"), ("cpddescription", "description")),
        "organizer": (("主办机构", "主办单位"), ("organizer", "organiser")),
        "hours": (("学时", "小时"), ("cpdclaimedhours", "claimedhours", "hours")),
        "initials": (("证明人",), ("initialsofesrp", "initials")),
    },
    "competences": {
        "roles": (("角色与职责",), ("rolesandresponsibilities",)),
        "education_base": (("教育基础",), ("educationbase",)),
        "ipd": (("初期职业发展",), ("initialprofessionaldevelopment",)),
        "dap": (("发展行动计划",), ("developmentactionplan",)),
        "evidence": (("证据来源示例代码",), ("illustrativesourcesofevidencecodes",)),
    },
}
_TOTAL = (("合计学时", "合计"), ("totalcpdclaimedhours", "total"))
_CODE = re.compile(r"^([A-E])?\s*([1-4])$")
LOCAL_COLUMNS = {"qualification", "course", "institution", "company", "job_title",
                 "responsibilities", "description", "organizer", "roles", "education_base",
                 "ipd", "dap", "evidence"}


@dataclass
class Found:
    """Raw text read for one data path, and how: ``local`` values are still to be split
    into Chinese and English, ``choice`` values read by their boxes, ``range`` cells
    hold a start and an end."""

    path: str
    text: str
    kind: str
    """``local``, ``choice``, ``range``, ``text``; ``unknown`` for a value beside a label
    that is not recognised (``path`` is empty, ``label`` the label's text)."""
    doubt: str | None = None
    """Why the text is uncertain (:mod:`formgen.extract.runs`), or None."""
    label: str = ""


def _matches(cell: Cell, labels: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    zh, en = label_key(cell.text)
    return bool((zh and zh in labels[0]) or (en and not zh and en in labels[1])
                or (zh and en and zh in labels[0] and en in labels[1]))


def _is_label(cell: Cell) -> str | None:
    if not cell.text or len(cell.text) > 40:
        return None
    for name, (zh, en, _) in PERSONAL.items():
        if _matches(cell, (zh, en)):
            return name
    return None


def _section(row: list[Cell]) -> str | None:
    texts = [c for c in row if c.text]
    if len(texts) != 1:
        return None
    zh, en = label_key(texts[0].text)
    for name, (zh_words, en_words) in SECTIONS.items():
        if any(zh.startswith(z) for z in zh_words) or (not zh and any(en.startswith(e) for e in en_words)):
            return name
    return None


def _columns(row: list[Cell], group: str) -> dict[int, str]:
    """Grid column → field, when ``row`` is the group's header row (two fields at least)."""
    mapping: dict[int, str] = {}
    for cell in row:
        for name, labels in COLUMNS[group].items():
            if name not in mapping.values() and _matches(cell, labels):
                mapping[cell.column] = name
                break
    return mapping if len(mapping) >= 2 else {}


def _cell_at(cells: list[Cell], column: int) -> Cell | None:
    for cell in cells:
        if cell.column <= column < cell.column + cell.span:
            return cell
    return None


def _rows(group: str, mapping: dict[int, str], rows: list[list[Cell]]) -> list[Found]:
    found: list[Found] = []
    index = 0
    letter = ""
    for row in rows:
        if group == "cpd" and row and _matches(row[0], _TOTAL):
            break
        cells = {name: _cell_at(row, column) for column, name in mapping.items()}
        values = {name: cell.text if cell is not None else "" for name, cell in cells.items()}
        if group == "competences":
            head = "".join(c.text for c in row[:2]).replace(" ", "")
            code = _CODE.match(head)
            if not code:
                continue
            letter = code[1] or letter
            prefix = f"competences.{letter}{code[2]}"
        else:
            if not any(v.strip() for v in values.values()):
                continue
            index += 1
            prefix = f"{group}[{index}]"
        for name, text in values.items():
            if group == "competences" and not text.strip():
                continue
            kind = ("range" if name == "start_end" else "local" if name in LOCAL_COLUMNS
                    else "text")
            cell = cells[name]
            found.append(Found(f"{prefix}.{name}", text, kind, cell.doubt if cell else None))
    return found


INLINE: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "programme": (("项目", "认证项目"), ("programme", "program"), "text"),
    "name": (("申请人",), ("applicant",), "local"),
    "grade": (("申请级别",), ("gradeappliedfor",), "choice"),
    "soe.division": (("soe专业分会", "专业分会"), ("soedivision",), "text"),
    "cmes.membership_no": (("有效cmes会员编号", "会员编号"), ("validcmesmembershipno", "membershipno"), "text"),
}
"""Labels written in a line of text before a field (the CMES endorsement form, the
programme line of formgen's forms)."""


def _inline(doc: WordDocument) -> list[Found]:
    found = []
    for label, text, doubt in doc.inputs:
        zh, en = label_key(label.lower())
        zh_all = zh + en if zh else ""
        for path, (zh_words, en_words, kind) in INLINE.items():
            if (zh and (zh in zh_words or zh_all in zh_words)) or (not zh and en in en_words):
                found.append(Found(path, text, kind, doubt))
                break
    return found


def read_labelled(doc: WordDocument) -> list[Found]:
    """Every value found beside a label or under a heading, in document order."""
    found: list[Found] = []
    for table in doc.tables:
        found.extend(_read_table(table))
    found.extend(_title_name(doc))
    found.extend(_inline(doc))
    return found


def _flush(section: str | None, mapping: dict[int, str], rows: list[list[Cell]]) -> list[Found]:
    return _rows(section, mapping, rows) if section and mapping else []


def _read_table(table: list[list[Cell]]) -> list[Found]:
    found: list[Found] = []
    section: str | None = None
    mapping: dict[int, str] = {}
    group_rows: list[list[Cell]] = []
    for row in table:
        heading = _section(row)
        if heading:
            found.extend(_flush(section, mapping, group_rows))
            section, mapping, group_rows = heading, {}, []
            continue
        if section == "description":
            text = "\n".join(c.text for c in row if c.text)
            found.append(Found("description", text, "local", next((c.doubt for c in row if c.doubt), None)))
            section = None
            continue
        if section in ("education", "career") and not mapping:
            mapping = _columns(row, section)
            continue
        if mapping:
            group_rows.append(row)
            continue
        header = next((g for g in ("cpd", "competences") if _columns(row, g)), None)
        if header:
            section, mapping, group_rows = header, _columns(row, header), []
            continue
        found.extend(_personal(row))
    found.extend(_flush(section, mapping, group_rows))
    return found


def _personal(row: list[Cell]) -> list[Found]:
    out = []
    i = 0
    while i < len(row):
        cell = row[i]
        value = row[i + 1] if i + 1 < len(row) else None
        name = _is_label(cell)
        if name is not None and value is not None and not _is_label(value):
            out.append(Found(name, value.text, PERSONAL[name][2], value.doubt))
            i += 2
            continue
        if (name is None and value is not None and value.text and _looks_like_label(cell.text)
                and not _is_label(value)):
            out.append(Found("", value.text, "unknown", value.doubt, label=cell.text))
            i += 2
            continue
        i += 1
    return out


_NAME_PLACEHOLDER = re.compile(r"\[(?:姓名|Name)\]")


def _looks_like_label(text: str) -> bool:
    """Short text with letters or Chinese characters, no digit, no box: a label's shape."""
    zh, en = label_key(text)
    return bool(zh or en) and len(text) <= 40 and not any(ch.isdigit() for ch in text) and not any(
        ch in "☑☐■□√" for ch in text)


_TITLE = re.compile(r"^\s*(.+?)\s*[-–—]\s*(?:过去三年的继续职业发展纪录|Continuous Professional Development Record)")


def _title_name(doc: WordDocument) -> list[Found]:
    """The CPD record names its applicant in its title: 李晓明-过去三年的继续职业发展纪录."""
    for text in doc.paragraphs[:5]:
        m = _TITLE.match(text)
        if m:
            # a blank form's "[姓名]" / "[Name]" stands where the name goes: it is no name
            name = _NAME_PLACEHOLDER.sub("", m[1]).strip()
            return [Found("name", name, "local")] if name else []
    return []


def split_languages(text: str) -> dict[str, str]:
    """A value in Chinese, English or both: one line each (``李晓明⏎LI Xiaoming``), as
    many Chinese lines as English ones, one block after the other, or ``中文 / English``.
    The lines of each language are kept (a multi-line answer stays multi-line)."""
    lines = [clean(line) for line in re.split(r"\n|\s/\s", text) if clean(line)]
    if not lines:
        return {}
    zh_lines = [is_chinese(line) for line in lines]
    turns = sum(1 for a, b in zip(zh_lines, zh_lines[1:], strict=False) if a != b)
    half = len(lines) // 2
    if turns == 1 and len(lines) % 2 == 0 and zh_lines[half] != zh_lines[0] and len(set(zh_lines[:half])) == 1:
        first, second = "\n".join(lines[:half]), "\n".join(lines[half:])
        return {"zh": first, "en": second} if zh_lines[0] else {"zh": second, "en": first}
    joined = "\n".join(lines)
    return {"zh": joined} if is_chinese(joined) else {"en": joined}
