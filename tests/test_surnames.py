"""The look-up by certificate number wants the holder's whole surname: compound surnames
count as one, Latin and Chinese forms are both read, part of a surname never matches.

Through the library, the public page (a real app, in-process) and its JSON."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MANIFEST_FILE
from fastapi.testclient import TestClient

from formgen.certificates.keys import KEY_ENV
from formgen.certificates.numbers import Issued, IssueRequest
from formgen.certificates.register import Register
from formgen.certificates.surnames import COMPOUND_SURNAMES, surname_matches
from formgen.certificates.verification import find_by_number
from formgen.exceptions import VerificationError
from formgen.settings import Paths
from formgen.web import create_app, web_settings

DAY = datetime.date(2026, 3, 14)

LI = "李晓明 / LI Xiaoming"
OUYANG = "欧阳娜娜 / OUYANG Nana"
AYGUL = "阿依古丽·买买提 / Ayiguli MAIMAITI"


@pytest.mark.parametrize(("name", "typed", "matches"), [
    # whole surnames, Chinese and Latin, any case, spacing and tone marks
    (LI, "李", True), (LI, "Li", True), (LI, "LI", True), (LI, " l i ", True), (LI, "Lǐ", True),
    (OUYANG, "欧阳", True), (OUYANG, "Ouyang", True), (OUYANG, "OUYANG", True),
    (OUYANG, "ou yang", True), (OUYANG, "Ōuyáng", True), (OUYANG, "Ou-Yang", True),
    (AYGUL, "买买提", True), (AYGUL, "Maimaiti", True), (AYGUL, "MAIMAITI", True),
    (AYGUL, "阿依古丽·买买提", True),  # the whole name as printed
    (AYGUL, "阿依古丽・买买提", True),  # written with another dot
    # part of a surname, or of a name, never
    (LI, "李晓", False), (LI, "晓明", False), (LI, "Xiaoming", False), (LI, "Li Xiao", False),
    (OUYANG, "欧", False), (OUYANG, "阳", False), (OUYANG, "Ou", False), (OUYANG, "欧阳娜", False),
    (AYGUL, "阿", False), (AYGUL, "阿依古丽", False), (AYGUL, "Ayiguli", False),
    (AYGUL, "买", False), (AYGUL, "Mai", False),
    # a certificate printing one half only: the other form through the surname's pinyin
    ("欧阳娜娜", "Ouyang", True), ("欧阳娜娜", "ou", False), ("欧阳娜娜", "欧", False),
    ("OUYANG Nana", "欧阳", True), ("OUYANG Nana", "欧", False), ("LI Xiaoming", "李", True),
    ("LI Xiaoming", "李晓", False), ("单雄信", "Shan", True), ("尉迟恭", "Yuchi", True),
    ("阿依古丽·买买提", "Maimaiti", True), ("阿依古丽·买买提", "A", False),
    # where both halves are printed, the Latin half says how much is the surname
    ("欧阳明 / OU Yangming", "欧", True), ("欧阳明 / OU Yangming", "欧阳", False),
    ("东方红 / DONG Fanghong", "东", True), ("东方红 / DONG Fanghong", "东方", False),
    ("东方红 / DONGFANG Hong", "东方", True), ("东方红 / DONGFANG Hong", "东", False),
    ("单雄信 / SHAN Xiongxin", "单", True), ("单雄信 / SHAN Xiongxin", "单雄", False),
    # the given name first, the surname in capitals last
    ("Nana OUYANG", "ouyang", True), ("Nana OUYANG", "nana", False),
])
def test_whole_surnames_match_and_parts_do_not(name: str, typed: str, matches: bool) -> None:
    assert surname_matches(name, typed) is matches


@pytest.mark.parametrize("surname", ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙",
                                     "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离",
                                     "端木"])
def test_compound_surnames_count_as_one(surname: str) -> None:
    assert surname in COMPOUND_SURNAMES
    name = f"{surname}明"
    assert surname_matches(name, surname)
    assert not surname_matches(name, surname[0])


# ----------------------------------------------------------------------------- a register


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, dict[str, Issued]]]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "register.sqlite"
    names = {"li": LI, "ouyang": OUYANG, "aygul": AYGUL, "english": "OUYANG Nana"}
    with Register.create(path) as reg:
        issued = reg.issue([IssueRequest(f"CSEE-2026-{i:04d}", name, "csee_iet_joint", "csee-iet",
                                         "IEng", "CSEE-IET", DAY)
                            for i, name in enumerate(names.values())], on=DAY)
        reg.confirm([i.number for i in issued], on=DAY)
    yield path, dict(zip(names, issued, strict=True))


CASES = [("li", "李", True), ("li", "LI", True), ("li", "李晓", False), ("li", "李晓明", True),
         ("ouyang", "欧阳", True), ("ouyang", "Ouyang", True), ("ouyang", "OUYANG", True),
         ("ouyang", "欧", False), ("aygul", "买买提", True), ("aygul", "阿", False),
         ("aygul", "阿依古丽", False), ("english", "欧阳", True), ("english", "欧", False)]


@pytest.mark.parametrize(("who", "typed", "found"), CASES)
def test_find_by_number(register: tuple[Path, dict[str, Issued]], who: str, typed: str,
                        found: bool) -> None:
    path, issued = register
    with Register(path, read_only=True) as reg:
        if found:
            assert find_by_number(reg, issued[who].number, typed, None).holder == issued[who].name
        else:
            with pytest.raises(VerificationError) as e:
                find_by_number(reg, issued[who].number, typed, None)
            assert e.value.message.english == (
                f"no issued certificate has the number {issued[who].number} and a holder with "
                f"the surname {typed}")


def test_the_page_and_the_api_want_the_whole_surname(
        register: tuple[Path, dict[str, Issued]]) -> None:
    path, issued = register
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=path)),
                     secret="surname-test-secret-0123456789", converter=object(), verify_rate=1000)
    with TestClient(app, follow_redirects=False) as client:
        for who, typed, found in CASES:
            number = issued[who].number
            page = client.post("/verify?lang=en",
                               data={"by": "number", "number": number, "surname": typed})
            answer = client.post("/api/certificates/lookup",
                                 json={"number": number, "surname": typed})
            if found:
                assert page.status_code == 200, (who, typed)
                assert issued[who].name in page.text
                assert answer.status_code == 200, (who, typed)
                assert answer.json()["holder"] == issued[who].name
                assert answer.json()["status"] == "valid"
            else:
                assert page.status_code == 404, (who, typed)
                assert (f"No certificate on the register has the number {number} and a holder "
                        f"with the surname {typed}.") in " ".join(page.text.split())
                assert issued[who].name.split(" / ")[0] not in page.text
                assert answer.status_code == 404, (who, typed)
                assert answer.json() == {"errors": [{
                    "field": "", "code": "api.certificate-not-found-by-number",
                    "message": "no issued certificate has this number and surname"}]}


def test_the_api_says_what_a_look_up_by_number_needs(
        register: tuple[Path, dict[str, Issued]]) -> None:
    path, issued = register
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=path)),
                     secret="surname-test-secret-0123456789", converter=object(), verify_rate=1000)
    needs = {"errors": [{"field": "", "code": "api.lookup-needs-number-and-surname", "message": (
        "give the certificate number and the holder's whole surname as a JSON object, e.g. "
        '{"number": "CSEE-IET-2026-000123", "surname": "李"}')}]}
    number = issued["li"].number
    with TestClient(app, follow_redirects=False) as client:
        for body in ({"number": number}, {"number": number, "surname": " "},
                     {"number": "123", "surname": "李"}, {"number": number, "surname": 1}, [number]):
            answer = client.post("/api/certificates/lookup", json=body)
            assert answer.status_code == 400, body
            assert answer.json() == needs
        broken = client.post("/api/certificates/lookup", content=b'{"number": ')
        assert broken.status_code == 400
        assert broken.json()["errors"][0]["code"] == "api.body-not-json"
        twice = client.post("/api/certificates/lookup",
                            content=f'{{"number": "{number}", "surname": "王", "surname": "李"}}')
        assert twice.status_code == 400
        big = client.post("/api/certificates/lookup",
                          json={"number": number, "surname": "李" * 2000})
        assert big.status_code == 413
        assert big.json() == {"errors": [{"field": "", "code": "api.lookup-too-large", "message": (
            "the body is larger than 1,024 bytes; a look-up needs only a number and a surname")}]}


def test_the_form_asks_for_the_whole_surname(register: tuple[Path, dict[str, Issued]]) -> None:
    path, _ = register
    app = create_app(web_settings(MANIFEST_FILE, paths=Paths(register=path)),
                     secret="surname-test-secret-0123456789", converter=object(), verify_rate=1000)
    with TestClient(app) as client:
        zh, en = client.get("/verify").text, client.get("/verify?lang=en").text
    assert '<p class="hint" id="v-surname-hint">完整的姓氏，与证书所印一致：例如 李 或 LI、欧阳 或 OUYANG</p>' in zh
    assert ('<p class="hint" id="v-surname-hint">The whole surname, as printed on the certificate: '
            "for example 李 or LI, 欧阳 or OUYANG</p>") in en
