"""Generate the Word templates of the application documents in templates/zh and templates/en.

Run from anywhere:  python scripts/make_templates.py [DOCUMENT_ID ...]

Each document has one template per language with the same variables (see
formgen/forms/context.py). The layout rules all of them follow (running heads, repeated
heading rows, rows kept together, one run per tag) are in scripts/form_layout.py. Staff
may edit the generated files in Word afterwards; running this script again overwrites them.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from form_layout import (  # noqa: E402
    LABEL_FILL,
    NBSP,
    WD_ALIGN_PARAGRAPH,
    C,
    Grid,
    blank_rows,
    centre,
    gap,
    head,
    info_line,
    label,
    loop,
    new_document,
    para,
    section,
    spacer,
    spare,
    tagged,
    value,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

ROW = 0.8  # minimum height of a form row, cm


def registration_form(lang: str):
    """附件 of the CSEE–IET notice. Chinese: one page with the seed's rows and a full
    300-character personal description; the education and career tables are tables of
    their own so that their headings repeat when a long career runs onto a second page."""
    zh = lang == "zh"
    doc = new_document(lang, "工程能力评价/国际工程师资质认证报名表" if zh
                       else "Registration Form for Professional Registration",
                       top=1.5, bottom=1.4)
    if zh:
        para(doc, "工程能力评价/国际工程师资质认证报名表", "Form Title")
        para(doc, "Registration Form for Professional Registration", "Form Subtitle")
    else:
        para(doc, "Registration Form for Professional Registration", "Form Title")
    info_line(doc, lang, name=False, number=True, controls=True)

    def lab(zh_text, en_text, span=1):
        return label([zh_text, en_text] if zh else [en_text], span)

    # Two label/value pairs a row; the job title, the company and its address a row each
    # (30 Chinese characters stay on one line); a label column holds "Company address".
    g = Grid(doc, [3.1, 5.4, 3.1, 5.4])
    g.row([section("个人信息 Personal information" if zh else "Personal information", 4)],
          keep_next=True)
    box = NBSP  # a box stays with its word
    male, female = "[[box:gender=male|{{a.male_box}}]]", "[[box:gender=female|{{a.female_box}}]]"
    ok = "[[box:english_interview=true|{{a.interview_ok_box}}]]"
    translation = "[[box:english_interview=false|{{a.interview_translation_box}}]]"
    gender = (f"{male}{box}男{box}Male　　{female}{box}女{box}Female" if zh
              else f"{male}{box}Male    {female}{box}Female")
    interview = ([f"{ok}可以 ok", f"{translation}需要翻译 with translation"] if zh else
                 [f"{ok}{box}ok", f"{translation}{box}with translation"])
    g.row([lab("姓名", "Name"), value(tagged("a", "name")), lab("性别", "Gender"), value(gender)],
          height=ROW)
    g.row([lab("职务/职称", "Job Title"), value(tagged("a", "job_title"), 3)], height=ROW)
    g.row([lab("所属行业", "Expertise"), value(tagged("a", "expertise")),
           lab("英文水平", "English level"), value(tagged("a", "english_level"))], height=ROW)
    g.row([lab("单位名称", "Company"), value(tagged("a", "company"), 3)], height=ROW)
    g.row([lab("单位地址", "Company address"), value(tagged("a", "company_address"), 3)],
          height=ROW)
    g.row([lab("单位电话", "Phone"), value(tagged("a", "company_phone")),
           lab("手机", "Contact"), value(tagged("a", "mobile"))], height=ROW)
    g.row([lab("邮箱", "Email"), value(tagged("a", "email")),
           lab("是否全英文面试", "English interview"), value(interview)], height=ROW)
    grade_box = "[[box:grade={{g.code}}|{{g.box}}]]"
    if zh:
        grades = ("{% for g in grades %}" + grade_box + box + "{{g.name}}（{{g.code}}）"
                  "{% if not loop.last %}　　　{% endif %}{% endfor %}")
        g.row([lab("申请级别", "Grade applied for"), value(grades, 3)], height=ROW)
    else:
        g.row([lab("申请级别", "Grade applied for"),
               value(["{%p for g in grades %}", grade_box + box + "{{g.name}} ({{g.code}})",
                      "{%p endfor %}"], 3)], height=ROW)

    # Education: highest degree only.
    gap(doc)
    g = Grid(doc, [2.6, 2.8, 5.0, 6.6] if zh else [3.0, 3.0, 5.0, 6.0], top_border=False)
    g.row([section("教育经历Education（仅填写最高学历及学位 Only fill in highest Engineering "
                   "degree(s) and qualification(s)）" if zh else
                   "Education (only fill in highest Engineering degree(s) and qualification(s))", 4)],
          header=True)
    g.row([head(["开始Start", "结束 End"] if zh else ["Start", "End"]),
           head(["学历", "Qualifications"] if zh else "Qualifications"),
           head(["所学专业", "Course"] if zh else "Course"),
           head(["毕业院校", "Educational Establishment"] if zh else "Educational Establishment")],
          header=True)
    loop(g, "for e in a.education", [
        centre([tagged("e", "start") + " –", tagged("e", "end")]),
        centre(tagged("e", "qualification")), centre(tagged("e", "course")),
        centre(tagged("e", "institution"))], height=ROW)
    blank_rows(g, "education", [value(spare("start") + spare("end")), value(spare("qualification")),
                                value(spare("course")), value(spare("institution"))], ROW)

    # Career: latest five years. The company column holds a company name of 15 characters
    # on one line (Chinese), the date column "2023年12月 –" / "September 2023 –".
    gap(doc)
    g = Grid(doc, [2.6, 5.9, 3.7, 4.8] if zh else [3.0, 4.6, 3.8, 5.6], top_border=False)
    g.row([section("工作经历Career History（仅填写近5年工作经历 Only fill in latest 5 years "
                   "career history）" if zh else
                   "Career History (only fill in latest 5 years career history)", 4)],
          header=True)
    g.row([head(["开始Start", "结束 End"] if zh else ["Start", "End"]),
           head(["工作单位", "Company"] if zh else "Company"),
           head(["工作职位", "Job Title"] if zh else "Job Title"),
           head(["工作职责", "Responsibilities"] if zh else "Responsibilities")], header=True)
    loop(g, "for c in a.career", [
        centre([tagged("c", "start") + " –", tagged("c", "end")]), centre(tagged("c", "company")),
        centre(tagged("c", "job_title")), value(tagged("c", "responsibilities"))], height=ROW)
    blank_rows(g, "career", [value(spare("start") + spare("end")), value(spare("company")),
                             value(spare("job_title")), value(spare("responsibilities"))], ROW)

    # Personal description: up to 300 characters, kept with its heading.
    gap(doc)
    g = Grid(doc, [17.0], top_border=False)
    g.row([section("个人描述/Personal description（填写个人获得奖项，专利发表，论文发表等情况/"
                   "Award, patents, paper published etc. 字数在300以内）" if zh else
                   "Personal description (award, patents, paper published etc.; "
                   "no more than 300 characters)", 1)], keep_next=True)
    g.row([C(tagged("a", "description"), 1, valign="top")], height=2.6)
    return doc


def cpd_record(lang: str):
    """附件三 (zh) / 附件四 (en): the seed's 18 rows, more when the applicant has more; the
    column headings repeat on every page."""
    zh = lang == "zh"
    doc = new_document(lang, "继续专业发展纪录" if zh else "Continuous Professional Development Record")
    # The seed's heading; its last words stay together when a long name wraps it.
    name = tagged("a", "name")
    # A blank form prints the notice's "[姓名]" where the name goes.
    name += "{{a.name_placeholder}}"
    para(doc, name + "-过去三年的继续职业发展纪录" if zh else
         f"{name}-Continuous Professional Development Record{NBSP}for{NBSP}past{NBSP}3{NBSP}year",
         "Form Title")
    info_line(doc, lang, name=False, controls=True)
    # The date column holds "2025年10月10日" / "15 September 2025" on one line, the
    # organizer column 11 Chinese characters (中国特种设备检测研究院) a line.
    g = Grid(doc, [3.4, 5.1, 4.2, 1.9, 2.4] if zh else [3.3, 5.6, 3.5, 2.5, 2.1])
    g.row([head("时间"), head("继续教育内容"), head("主办机构"), head("学时"), head("证明人")] if zh
          else [head("Date"), head("CPD Description"), head("Organizer"),
                head("CPD Claimed hours"), head("Initials of ES/RP*")], header=True)
    loop(g, "for c in a.cpd", [centre(tagged("c", "date")), value(tagged("c", "description")),
                               centre(tagged("c", "organizer")), centre(tagged("c", "hours")),
                               centre(tagged("c", "initials"))], height=0.85)
    blank_rows(g, "cpd", [value(spare(f)) for f in ("date", "description", "organizer", "hours",
                                                     "initials")], 0.85, keep_next=True)
    g.row([C("合计学时" if zh else "Total CPD claimed hours", 3, "Form Label", LABEL_FILL),
           C("{{a.cpd_total}}", 1, "Form Head", LABEL_FILL), C("", 1, fill=LABEL_FILL)],
          height=0.75)
    para(doc, "注：证明人 = ES（工程主管，Engineering Supervisor）或 RP（责任人，Responsible "
         "Person）的姓名缩写。" if zh else
         "ES = Engineering Supervisor, RP = Responsible Person", "Form Note")
    return doc


def cross_reference(lang: str):
    """附件五 (CEng) / 附件六 (IEng). Every row carries its group's letter (bold on the
    group's first row, grey on the others, as the seed shows it once), so a group that
    runs onto the next page keeps it; the headings repeat."""
    zh = lang == "zh"
    # Margins and rows as tight as reads well: with a few entries (CEng or IEng) the table
    # fits on one page instead of leaving its last row alone on a second.
    doc = new_document(lang, "交叉对照表格" if zh else "Cross-Reference Table", landscape=True,
                       top=1.2, bottom=1.1, header=0.7, footer=0.6)
    para(doc, "{{grade.name}}交叉对照表格" if zh else
         "{{grade.name}} ({{grade.code}}) Cross-Reference Table", "Form Title")
    info_line(doc, lang, controls=True)
    g = Grid(doc, [0.8, 0.8, 7.2, 3.8, 3.0, 3.7, 3.4, 4.0])
    if zh:
        heads = ["能力要求", "角色与职责", "教育基础", "初期职业发展", "发展行动计划",
                 "证据来源示例（代码）"]
    else:
        heads = ["Competence", "Roles and Responsibilities", "Education Base",
                 "Initial Professional Development", "Development Action Plan",
                 "Illustrative sources of evidence (CODES)"]
    g.row([head(heads[0], 3)] + [head(h) for h in heads[1:]], header=True)

    def cells(letter_style):
        return [C("{{c.letter}}", 1, letter_style), centre("{{c.number}}"),
                value("{{c.statement}}"), value(tagged("c", "roles")),
                value(tagged("c", "education_base")), value(tagged("c", "ipd")),
                value(tagged("c", "dap")), value(tagged("c", "evidence"))]

    g.tag_row("{%tr for c in competences %}")
    g.tag_row("{%tr if c.group_start %}")
    g.row(cells("Form Head"), height=0.6)
    g.tag_row("{%tr else %}")
    g.row(cells("Form Head Repeated"), height=0.6)
    g.tag_row("{%tr endif %}")
    g.tag_row("{%tr endfor %}")
    return doc


def _endorsement_block(doc, zh: bool):
    g = Grid(doc, [3.9, 4.2, 4.1, 4.0])
    g.row([section("SOE-HK 审核专用栏" if zh else "FOR Endorsement of SOE-HK ONLY", 4)])
    rows = ([("接收申请书日期:", "CMES 审批意见:"), ("申请费用", "ECUK 考核申请书"),
             ("SOEHK 审批:", "日期:")] if zh else
            [("App. Recd on", "CMES Advice"), ("Application Fee", "ECUK App. Consideration"),
             ("SOEHK Endorsement", "Date.")])
    for left, right in rows:
        g.row([label(left), value(""), label(right), value("")], height=1.1)


def cmes_endorsement(lang: str):
    zh = lang == "zh"
    doc = new_document(lang, "CMES 会员申请批注表" if zh else "CMES Endorsement Form")
    right = WD_ALIGN_PARAGRAPH.RIGHT
    soe_member = "[[box:soe.membership=member|{{a.soe.member_box}}]]"
    soe_associate = "[[box:soe.membership=associate_member|{{a.soe.associate_member_box}}]]"
    cmes_senior = "[[box:cmes.member_grade=senior_member|{{a.cmes.senior_member_box}}]]"
    cmes_member = "[[box:cmes.member_grade=member|{{a.cmes.member_box}}]]"
    # The number starts a line with its label, so it is never broken at a hyphen
    # (S-2011-00042); a blank form leaves the notice's line to write it on.
    membership_no = "[[cmes.membership_no|**{{a.cmes.membership_no}}**]]{{a.cmes.membership_no_line}}"
    if zh:
        para(doc, "CMES 会员申请批注表", "Form Title")
        para(doc, "CMES 表格 – 01C", "Form Text", align=right)
        para(doc, "会员申请表", "Form Subtitle")
        info_line(doc, lang, division=True, controls=True)
        para(doc, "申请人依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的会员资质互认协议。"
             f"本人现呈送申请书，请求批准为SOE {soe_member}会员/{soe_associate}"
             f"仲会员*，及申明本人为有效的CMES {cmes_senior}高级会员/"
             f"{cmes_member}会员*，并居住于英国或香港特别行政区以外的地区。"
             f"\n有效CMES 会员编号: {membership_no}", "Form Text")
        spacer(doc, 10)
        para(doc, "申请人签署: _____________________", "Form Text")
        para(doc, "日期: ____________________", "Form Text")
        spacer(doc, 10)
        para(doc, "CMES 审批 : ___________________", "Form Text")
        para(doc, "(CMES 盖章)", "Form Text")
        spacer(doc, 10)
        para(doc, "对申请SOE 会员的事项上，依据英国营运工程师学会(SOE)与中国机械工程学会(CMES)的"
             "会员资质互认协议，并居住于英国或香港特别行政区以外的地区的要求事宜。如果获取此会员资质"
             "互认协议通过合格批准，将会取得SOE 会员或仲会员的相关年费的折扣优惠。", "Form Text")
        para(doc, "* 请删除不适合的项目", "Form Text")
        para(doc, "备注: 此申请书必须与SOE 标准申请表、相关费用、相关证明文件，共同呈交。", "Form Text")
    else:
        para(doc, "CMES Endorsement Form", "Form Title")
        para(doc, "Form CMES -01E", "Form Text", align=right)
        para(doc, "Application Form", "Form Subtitle")
        info_line(doc, lang, division=True, controls=True)
        para(doc, "For Applicants, those come from the Chinese Mechanical Engineering Society "
             "(CMES) under Reciprocal Recognition Agreement between SOE and CMES.", "Form Text")
        # A no-break space keeps each box on the same line as its word.
        para(doc, f"I submit herewith my application as {soe_member}\u00a0member/"
             f"{soe_associate}\u00a0associate member * of SOE and declare that I am "
             f"currently a {cmes_senior}\u00a0senior member/{cmes_member}"
             "\u00a0member* of CMES residing outside UK and Hong Kong.\n(Valid CMES Membership"
             f"\u00a0No.:\u00a0{membership_no})", "Form Text")
        spacer(doc, 10)
        para(doc, "Applicant’s Signature: _________________________ Date : _______________",
             "Form Text")
        spacer(doc, 10)
        para(doc, "Support from CMES for this application: __________________________.",
             "Form Text")
        para(doc, "(Authorized Signature of CMES)", "Form Text", align=right)
        spacer(doc, 6)
        para(doc, "According to the Reciprocal Recognition Agreement between SOE and CMES, "
             "members of CMES residing outside UK or Hong Kong applying membership of SOE will "
             "receive a discount off the annual subscription fee of the SOE members as “Members” "
             "or “Associate Members” if admitted through the RRA system.", "Form Text")
        para(doc, "* please delete as appropriate", "Form Text")
        para(doc, "Remarks: this application form must be submitted together with SOE standard "
             "application form, fees and associated documentary proof.", "Form Text")
    spacer(doc, 12)
    _endorsement_block(doc, zh)
    return doc


def fee_notice(lang: str):
    """What this applicant pays: CSEE–IET 四、费用 (an estimate); CMES–SOE 附件十 and 二、5–6
    (the SOE membership fee again every year on re-registration)."""
    zh = lang == "zh"
    doc = new_document(lang, "费用通知" if zh else "Fee Notice")
    para(doc, "费用通知" if zh else "Fee Notice", "Form Title")
    spacer(doc, 6)
    g = Grid(doc, [3.4, 13.6])
    for lab_zh, lab_en, val in (
        ("申请人", "Applicant", "{{a.name}}"),
        ("申请编号", "Application no.", "{{a.id}}"),
        ("项目", "Programme", "{{programme.title}}（{{programme.society.abbr}}/"
                              "{{programme.partner.abbr}}）" if zh else
         "{{programme.title}} ({{programme.society.abbr}}/{{programme.partner.abbr}})"),
        ("申请级别", "Grade applied for", "{{grade.label}}"),
    ):
        g.row([label(lab_zh if zh else lab_en), value(val)], height=0.8)
    spacer(doc, 8)
    para(doc, "您本次申请的有关费用如下：" if zh else
         "The fees for your application are as follows:", "Form Text", keep_next=True)
    # "When due" holds 具体交费方式另行通知 / "Paid on re-registration" on one line, the
    # amount "CNY 110 per three years"; the notes are 15 Chinese characters a line.
    g = Grid(doc, [5.0, 2.4, 3.9, 5.7] if zh else [5.2, 3.9, 3.8, 4.1])
    g.row([head("费用项目"), head("金额"), head("缴纳时间"), head("备注")] if zh else
          [head("Item"), head("Amount"), head("When due"), head("Note")], header=True)
    amount = ("{{f.amount}}{% if f.per %}/{{f.per}}{% endif %}" if zh else
              "{{f.amount}}{% if f.per %} per {{f.per}}{% endif %}")
    loop(g, "for f in fees", [value("{{f.item}}"), centre(amount), centre("{{f.due}}"),
                              value("{{f.note}}")], height=0.8)
    g.row([C("一次性费用合计" if zh else "Total of one-off fees", 1, "Form Label", LABEL_FILL),
           C("{{fees_total}}", 1, "Form Head", LABEL_FILL),
           C("{{fees_total_note}}", 2, "Form Cell", LABEL_FILL)], height=0.8)
    spacer(doc, 8)
    para(doc, "**说明：**{{programme.fees_note}}" if zh else "**Note:** {{programme.fees_note}}")
    # The contact lines one by one, so a telephone number or an e-mail address is never
    # broken at its hyphen.
    para(doc, "**联系方式：**" if zh else "**Contact:**", keep_next=True).paragraph_format.space_after = 0
    para(doc, "{%p for line in programme.contact %}")
    para(doc, "{{line}}").paragraph_format.space_after = 0
    para(doc, "{%p endfor %}")
    spacer(doc, 16)
    para(doc, "{{programme.society.name}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{today}}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


def submission_checklist(lang: str):
    """二、申请认证条件一览表, item 2: the materials, how many copies, and which of them are
    in this pack and which the applicant adds."""
    zh = lang == "zh"
    doc = new_document(lang, "申请材料清单" if zh else "Submission Checklist")
    para(doc, "申请材料清单" if zh else "Submission Checklist", "Form Title")
    info_line(doc, lang)
    g = Grid(doc, [1.2, 8.2, 3.0, 2.9, 1.7] if zh else [1.2, 7.0, 3.8, 3.3, 1.7])
    g.row([head("序号"), head("材料"), head("份数"), head("来源"), head("核对")] if zh else
          [head("No."), head("Material"), head("Copies"), head("Source"), head("Check")],
          header=True)
    loop(g, "for c in checklist", [centre("{{c.no}}"), value("{{c.item}}"), centre("{{c.copies}}"),
                                   centre("{{c.source}}"), centre("☐")], height=0.9)
    spacer(doc, 6)
    para(doc, "“本材料包已附”的表格随本材料包提供，打印、核对并签字后提交；“申请人自备”的材料"
         "由申请人另行准备：英国营运工程师学会会员申请表是 SOE 自己的表格，不在本材料包中；证明文件"
         "须提供原件及复印件。" if zh else
         "Forms marked “In this pack” come with this pack: print, check and sign them. "
         "Materials marked “Added by the applicant” you prepare yourself: the SOE membership "
         "application form is the SOE’s own form and is not in this pack; supporting documents "
         "are handed in with their copies.", "Form Text")
    spacer(doc, 4)
    if zh:
        para(doc, "**备注：**", "Form Text", keep_next=True)
        para(doc, "1．提交申请材料的同时需要缴纳面试费，收费标准见本材料包中的《费用通知》。", "Form Text")
        para(doc, "2．表格的填写可参照《申报英国营运工程师学会工程师资格填报指南》。", "Form Text")
    else:
        para(doc, "**Remarks:**", "Form Text", keep_next=True)
        para(doc, "1. The interview fee is paid when the application materials are submitted; "
             "the fees are set out in the Fee Notice in this pack.", "Form Text")
        para(doc, "2. For filling in the forms, refer to the Guide to Applying for SOE Engineer "
             "Qualifications (《申报英国营运工程师学会工程师资格填报指南》).", "Form Text")
    return doc


def career_history(lang: str):
    """工作经历报告 (二、2 item 4): the applicant's posts as given, each with its dates,
    employer, job title and responsibilities, then the personal description. A record
    without posts (a blank form) gets empty posts to fill in."""
    zh = lang == "zh"
    doc = new_document(lang, "工作经历报告" if zh else "Career History Report")
    para(doc, "工作经历报告" if zh else "Career History Report", "Form Title")
    info_line(doc, lang, division=True)

    g = Grid(doc, [3.4, 5.1, 3.4, 5.1])
    g.row([label("姓名" if zh else "Name"), value(tagged("a", "name")),
           label("申请编号" if zh else "Application no."), value("[[id|{{a.id}}]]")], height=0.75)
    g.row([label("单位名称" if zh else "Company"), value(tagged("a", "company"), 3)], height=0.75)
    g.row([label("职务/职称" if zh else "Job title"), value(tagged("a", "job_title")),
           label("申请级别" if zh else "Grade applied for"), value("[[grade|{{grade.label}}]]")],
          height=0.75)
    g.row([label("所属行业" if zh else "Expertise"), value(tagged("a", "expertise"), 3)],
          height=0.75)

    para(doc, "一、工作经历" if zh else "1. Career history", "Form Heading")

    def post(row: str, field) -> None:
        # One small table per post; its rows stay on one page together.
        g = Grid(doc, [3.4, 13.6])
        g.row([C([field(row, "start") + " – " + field(row, "end")], 2, "Form Section", "D9D9D9")],
              keep_next=True)
        g.row([label("工作单位" if zh else "Employer"), value(field(row, "company"))],
              height=0.75, keep_next=True)
        g.row([label("工作职位" if zh else "Job title"), value(field(row, "job_title"))],
              height=0.75, keep_next=True)
        g.row([label("工作职责" if zh else "Responsibilities"),
               value(field(row, "responsibilities"))], height=0.75)
        spacer(doc, 8)

    para(doc, "{%p for c in a.career %}")
    post("c", tagged)
    para(doc, "{%p endfor %}")
    para(doc, "{%p for r in blank_rows.posts %}")  # a line for each date, to write it on
    post("r", lambda _row, name: spare(name) + ("{{r.line}}" if name in ("start", "end") else ""))
    para(doc, "{%p endfor %}")

    para(doc, "二、个人描述" if zh else "2. Personal description", "Form Heading")
    g = Grid(doc, [17.0])
    g.row([C(tagged("a", "description"), 1, valign="top")], height=2.0)

    spacer(doc, 24)
    para(doc, "申请人签名：____________________　　日期：______________" if zh else
         "Applicant’s signature: ____________________    Date: ______________", "Form Text")
    return doc


DOCUMENTS = {
    "registration_form": registration_form,
    "cpd_record": cpd_record,
    "cross_reference": cross_reference,
    "career_history": career_history,
    "cmes_endorsement": cmes_endorsement,
    "fee_notice": fee_notice,
    "submission_checklist": submission_checklist,
}


FILLABLE = ("registration_form", "cpd_record", "cross_reference", "career_history",
            "cmes_endorsement")
"""Forms an applicant fills in: their values are content controls, and the document says
what it is in custom properties, for formgen extract to read them back."""

_CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    + "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{name}">'
        f"<vt:lpwstr>{value}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(
            (("formgen.document", "{{document.id}}"), ("formgen.lang", "{{lang}}"),
             ("formgen.id", "{{a.id}}")), start=2)
    )
    + "</Properties>"
)


def add_custom_properties(path: Path) -> None:
    """docProps/custom.xml (rendered like the body), with its content type and relationship."""
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    parts["docProps/custom.xml"] = _CUSTOM.encode("utf-8")
    types = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/docProps/custom.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')).encode("utf-8")
    rels = parts["_rels/.rels"].decode("utf-8")
    parts["_rels/.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdFormgenCustom" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def main(argv: list[str], folder: Path = TEMPLATES) -> int:
    """Write the templates of the documents named (all of them when none is) into ``folder``."""
    wanted = argv or list(DOCUMENTS)
    for doc_id in wanted:
        for lang in ("zh", "en"):
            out = folder / lang / f"{doc_id}.docx"
            out.parent.mkdir(parents=True, exist_ok=True)
            DOCUMENTS[doc_id](lang).save(out)
            if doc_id in FILLABLE:
                add_custom_properties(out)
            print(out.relative_to(ROOT) if out.is_relative_to(ROOT) else out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
