"""Units and names in the order Chinese staff expect: by pinyin, polyphones read in their word."""

from __future__ import annotations

from formgen.sorting import pinyin_key


def test_units_of_the_quota_table_in_pinyin_order() -> None:
    units = ["中国南方电网有限责任公司", "国家电网有限公司", "中国华能集团有限公司",
             "学会集体会员单位", "中国长江三峡集团有限公司", "国家能源投资集团有限责任公司"]
    assert sorted(units, key=pinyin_key) == [
        "国家电网有限公司",          # guo jia dian
        "国家能源投资集团有限责任公司",  # guo jia neng
        "学会集体会员单位",          # xue
        "中国长江三峡集团有限公司",    # zhong guo chang (长 read cháng in 长江)
        "中国华能集团有限公司",       # zhong guo hua
        "中国南方电网有限责任公司",    # zhong guo nan
    ]


def test_polyphones_are_read_in_their_word() -> None:
    # 重庆 is chóng qìng, so it sorts before 中国 (zhōng guó), not after it as zhòng would
    assert sorted(["中国", "重庆"], key=pinyin_key) == ["重庆", "中国"]
    assert pinyin_key("银行")[1][0] == "hang"


def test_names_by_syllable_then_tone_latin_among_them() -> None:
    names = ["王静怡", "李晓明", "刘敏", "LI Xiaoming", "孙伟", "黎明"]
    # a Latin word has no tone, so it comes first among its syllable: LI before 黎 (lí), 李 (lǐ)
    assert sorted(names, key=pinyin_key) == ["LI Xiaoming", "黎明", "李晓明", "刘敏", "孙伟", "王静怡"]
