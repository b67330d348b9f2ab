"""figures.script: one script for matching, the original offsets for display."""

from hypothesis import given
from hypothesis import strategies as st

from figures.script import simplify


def test_traditional_and_simplified_wordings_read_alike() -> None:
    pairs = [
        ("研發人員", "研发人员"),
        ("園區公司來自三十個國家和地區", "园区公司来自三十个国家和地区"),
        ("獎項與合作夥伴", "奖项与合作伙伴"),
        ("逾兩萬名從業員，佔地二十公頃", "逾两万名从业员，占地二十公顷"),
    ]
    for traditional, simplified in pairs:
        assert simplify(traditional) == simplify(simplified) == simplified


def test_text_that_is_not_traditional_chinese_is_left_alone() -> None:
    text = "Over 1,800 companies; 逾1,800间公司; ＨＫ$5m"
    assert simplify(text) == text


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x9FFF)))
def test_length_and_offsets_are_kept(text: str) -> None:
    out = simplify(text)
    assert len(out) == len(text)
    assert all((a == b) or (ord(a) >= 0x3400) for a, b in zip(text, out, strict=True))


def test_ascii_clause_marks_read_as_full_width_but_numbers_keep_theirs() -> None:
    from figures.script import normalise_chinese

    assert normalise_chinese("園區有逾2,400間公司,研發人員(約)15:30") == (
        "园区有逾2,400间公司，研发人员（约）15:30"
    )
    assert normalise_chinese("共5,10間") == "共5，10间"  # not a thousands group


def test_every_character_the_table_maps_is_one_the_han_check_finds() -> None:
    """simplify returns text without Han characters untouched: that is right only while
    every Traditional character OpenCC's table maps lies in the blocks it checks."""
    from figures.script import _HAN, _table

    outside = [chr(code) for code in _table() if not _HAN.match(chr(code))]
    assert outside == []
