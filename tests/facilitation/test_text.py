from __future__ import annotations

from facilitation.text import bad_character, clean_text


def test_text_names_the_first_bad_character() -> None:
    assert bad_character("fine\ttab\nnewline 한국어") is None
    assert bad_character("a\x00b\x01") == "U+0000"
    assert bad_character("\ud83d") == "U+D83D"
    assert bad_character("del\x7f") == "U+007F"


def test_text_clean_drops_only_the_bad_characters() -> None:
    assert clean_text("a\x00b\r\nc\td\ud800") == "ab\nc\td"
