"""The society's own registration form, laid out as in the csee-iet notice (附件), built with
python-docx the way a secretary would make it in Word, and filled in as an applicant
would: no tags, a two-language label cell with the value in the next cell, education and
career rows under their headings, boxes ticked by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.table import Table, _Cell

FILLED: dict[str, Any] = {
    "name": "李晓明\nLI Xiaoming",
    "gender": "√男 Male   □女 Female",
    "job_title": "高级工程师",
    "expertise": "水电站机电设备安装",
    "mobile": "13910002233",
    "company": "中国水利水电第八工程局有限公司",
    "company_address": "湖南省长沙市雨花区木莲东路",
    "company_phone": "0731-85561234",
    "email": "li.xiaoming@example.com",
    "english_level": "大学英语六级",
    "english_interview": "□可以 ok\n■需要翻译 with translation",
    "education": [("2009.09-2013.07", "工学学士", "电气工程及其自动化", "三峡大学")],
    "career": [
        ("2023.04-至今", "中国水利水电第八工程局有限公司", "机电项目总工程师", "负责白鹤滩水电站机组安装的技术管理"),
        ("2020.01-2023.03", "中国水利水电第八工程局有限公司", "机电工程师", "水轮发电机组安装调试"),
    ],
    "description": "获中国电力建设集团科技进步二等奖1项；授权发明专利2项。",
}


def _cell(table: Table, row: int, first: int, last: int | None = None) -> _Cell:
    cell = table.cell(row, first)
    if last is not None and last != first:
        cell = cell.merge(table.cell(row, last))
    return cell


def _put(cell: _Cell, text: str) -> None:
    lines = text.split("\n")
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def notice_form(path: Path, values: dict[str, Any] | None = None,
                labels: dict[str, str] | None = None) -> Path:
    """The form filled with ``values`` (default: :data:`FILLED`); a value left out stays blank.
    ``labels`` rewords labels: a field's (``expertise``) or a column's (``career.responsibilities``)."""
    v = FILLED if values is None else values
    said = labels or {}
    doc = Document()
    doc.add_paragraph("附件")
    doc.add_paragraph("工程能力评价/国际工程师资质认证报名表")
    doc.add_paragraph("Registration Form for Professional Registration")
    education, career = v.get("education", []), v.get("career", [])
    rows = 6 + 2 + max(1, len(education)) + 2 + max(2, len(career)) + 2
    table = doc.add_table(rows=rows, cols=6)
    table.style = "Table Grid"
    _put(_cell(table, 0, 0, 5), "个人信息 Personal information")
    personal = [
        [("姓名\nName", "name"), ("性别\nGender", "gender"), ("职务/职称\nJob Title", "job_title")],
        [("所属行业\nExpertise", "expertise"), ("手机\nContact", "mobile")],
        [("单位名称\nCompany", "company"), ("单位地址\nCompany address", "company_address")],
        [("单位电话\nPhone", "company_phone"), ("邮箱\nEmail", "email")],
        [("英文水平\nEnglish level", "english_level"), ("是否全英文面试\nEnglish interview", "english_interview")],
    ]
    for r, pairs in enumerate(personal, start=1):
        for i, (label, key) in enumerate(pairs):
            _put(table.cell(r, 2 * i), said.get(key, label))
            last = 5 if len(pairs) == 2 and i == 1 else None
            _put(_cell(table, r, 2 * i + 1, last), v.get(key, ""))
    r = 6
    _put(_cell(table, r, 0, 5), "教育经历Education（仅填写最高学历及学位 Only fill in highest Engineering degree(s) and qualification(s)）")
    heads = ["开始Start \n               结束 End", "学历\nQualifications",
             said.get("education.course", "所学专业\nCourse"), "毕业院校\nEducational Establishment"]

    def grid_row(row: int, texts: list[str]) -> None:
        for text, (first, last) in zip(texts, [(0, 0), (1, 1), (2, 3), (4, 5)], strict=True):
            _put(_cell(table, row, first, last), text)

    grid_row(r + 1, heads)
    r += 2
    for entry in education or [("", "", "", "")]:
        grid_row(r, list(entry))
        r += 1
    _put(_cell(table, r, 0, 5), "工作经历Career History（仅填写近5年工作经历 Only fill in latest 5 years career history）")
    grid_row(r + 1, ["开始Start \n         结束 End", "工作单位\nCompany", "工作职位\nJob Title",
                     said.get("career.responsibilities", "工作职责\nResponsibilities")])
    r += 2
    for entry in career + [("", "", "", "")] * (2 - len(career)):
        grid_row(r, list(entry))
        r += 1
    _put(_cell(table, r, 0, 5), "个人描述/Personal description（填写个人获得奖项，专利发表，论文发表等情况/Award, patents, paper published etc. 字数在300以内）")
    _put(_cell(table, r + 1, 0, 5), v.get("description", ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
