"""A holder's surname, whole: what the public look-up by certificate number asks for.

Numbers follow each other, so the look-up by number (:func:`surname_matches`) wants the
holder's whole surname, never a part of it: 李 and 李晓 do not find 李晓明, 阿 does not
find 阿依古丽·买买提, 欧 does not find 欧阳娜娜.

The register records the name as the certificate prints it: ``李晓明 / LI Xiaoming``, or
one of its halves. The surname of a Chinese half is its compound surname (复姓, such as
欧阳 or 司马: COMPOUND_SURNAMES) or its first character; in a name written with a middle
dot (阿依古丽·买买提, as the names of many Uyghur, Kazakh and other holders are), it is
the part after the last dot, the family name as ID cards and the register record it.
The surname of a Latin half is its words in capitals (``OUYANG Nana``, ``Ayiguli
MAIMAITI``, ``VAN DER BERG Anna``), or, in a name without capitals, its first or last
word. A surname typed in Chinese is compared with the Chinese half, and one typed in
Latin letters (pinyin in any case and spacing, with or without tone marks) with the
Latin half (and where it prints both, the Chinese surname is the one the Latin half
reads: 欧 in 欧阳明 / OU Yangming); when the certificate prints only the other half, with
the surname's pinyin
(READINGS for surnames read otherwise than their characters usually are: 单 Shan,
尉迟 Yuchi). The whole name as printed matches too.
"""

from __future__ import annotations

import unicodedata

from pypinyin import lazy_pinyin

COMPOUND_SURNAMES = frozenset(["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "万俟", "闻人", "赫连", "公羊", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "仲孙", "鲜于", "闾丘", "司空", "亓官", "司寇", "仉督", "子车", "颛孙", "巫马", "公西", "漆雕", "乐正", "壤驷", "公良", "拓跋", "夹谷", "宰父", "谷梁", "段干", "百里", "东郭", "南门", "呼延", "羊舌", "微生", "梁丘", "左丘", "东门", "西门", "南宫", "第五", "独孤", "范姜", "张简", "歐陽", "司馬", "諸葛", "東方", "尉遲", "公孫", "長孫", "軒轅", "鍾離", "鮮于", "閭丘", "顓孫", "壤駟", "東郭", "南門", "東門", "西門"])
"""Compound surnames (复姓) of the 百家姓 and in use today, in simplified and traditional
characters: each is one surname, never a surname and the first character of a given name."""

READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan",), "尉迟": ("yuchi",), "尉": ("yu", "wei"), "万俟": ("moqi",),
    "长孙": ("zhangsun",), "曾": ("zeng",), "仇": ("qiu",), "区": ("ou",), "解": ("xie",),
    "查": ("zha",), "朴": ("piao",), "盖": ("ge",), "乐": ("yue", "le"), "员": ("yun",),
    "覃": ("qin",), "翟": ("zhai",), "缪": ("miao",), "召": ("shao",), "秘": ("bi",),
    "单于": ("chanyu",), "澹台": ("tantai",), "仉督": ("zhangdu",), "乐正": ("yuezheng",),
    "万": ("wan",), "任": ("ren",), "华": ("hua",), "燕": ("yan",), "种": ("chong",),
}
"""Surnames read otherwise than their characters' usual reading, in pinyin (the usual
reading is accepted too)."""

MIDDLE_DOTS = "·•・‧∙⋅･"
"""The dots written between the parts of a name (阿依古丽·买买提)."""


def fold(text: str) -> str:
    """``text`` with only its letters and characters, lower case, without tone marks or
    other accents: ``Ōu Yáng`` -> ``ouyang``, ``Ｌｉ`` -> ``li``, ``阿依古丽·买买提`` ->
    ``阿依古丽买买提``."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).casefold()
    return "".join(c for c in text if c.isalpha() and not unicodedata.combining(c))


def _chinese(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


def chinese_surname(name: str) -> str:
    """The surname of a name in Chinese characters: after the last middle dot, else its
    compound surname, else its first character."""
    name = unicodedata.normalize("NFKC", name).strip()
    for dot in MIDDLE_DOTS:
        name = name.replace(dot, "·")
    if "·" in name:
        return fold(name.rsplit("·", 1)[1])
    name = fold(name)
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def latin_surnames(name: str) -> list[str]:
    """The surname of a name in Latin letters, folded: its words in capitals at the start
    or the end; the first or the last word when no word or every word is in capitals."""
    words = unicodedata.normalize("NFKC", name).split()
    if not words:
        return []
    capitals = [w.isupper() for w in words]
    if not all(capitals):
        for run in (words[:capitals.index(False)],
                    words[len(words) - capitals[::-1].index(False):]):
            if run:
                return [fold(" ".join(run))]
    return [fold(words[0]), fold(words[-1])]


def _surnames_read_as(name: str, latin: set[str]) -> set[str]:
    """The surname of a Chinese half: where the Latin half prints the surname, the one
    read so (欧阳明 / OU Yangming: 欧; 东方红 / DONG Fanghong: 东), else
    :func:`chinese_surname`."""
    surname = chinese_surname(name)
    if latin and not any(d in unicodedata.normalize("NFKC", name) for d in MIDDLE_DOTS):
        folded = fold(name)
        read = {c for c in (folded[:2], folded[:1]) if readings(c) & latin}
        if read:
            return read
    return {surname}


def readings(surname: str) -> set[str]:
    """The pinyin of a Chinese surname, folded: its own readings (READINGS) and the
    usual reading of its characters."""
    return {*READINGS.get(surname, ()), fold("".join(lazy_pinyin(surname, v_to_u=True)))}


def surname_matches(name: str, typed: str) -> bool:
    """Whether ``typed`` is the whole surname, or the whole name, of ``name`` as printed
    (``李晓明 / LI Xiaoming`` or one of its halves)."""
    wanted = fold(typed)
    if not wanted:
        return False
    halves = [h for h in (h.strip() for h in name.split(" / ")) if h]
    if any(fold(h) == wanted for h in halves):
        return True
    chinese = [h for h in halves if _chinese(h)]
    latin = [h for h in halves if not _chinese(h)]
    latin_names = {s for h in latin for s in latin_surnames(h)}
    if _chinese(wanted):
        if chinese:
            return any(wanted in _surnames_read_as(h, latin_names) for h in chinese)
        return bool(readings(wanted) & latin_names)
    if latin:
        return any(wanted in latin_surnames(h) for h in latin)
    return any(wanted in readings(chinese_surname(h)) for h in chinese)
