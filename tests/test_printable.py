"""Values printed on one line, whatever they hold (``printable.py``)."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from expressroute_encryption.printable import one_line, tolerate_any_encoding


def test_control_format_and_separator_characters_are_escaped():
    assert one_line("a\nb\rc\td\x1b[2J\x00\u202e\u2028\u2029\U000e0001") == (
        "a\\nb\\rc\\td\\x1b[2J\\x00\\u202e\\u2028\\u2029\\U000e0001")
    assert one_line("Zürich ✓ 東京") == "Zürich ✓ 東京"  # letters of any script stay as they are


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text())
def test_one_value_is_always_one_line(value):
    assert len(one_line(value).splitlines()) <= 1


def test_any_encoding_writes_every_character(monkeypatch):
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="ascii")
    monkeypatch.setattr("sys.stdout", stream)
    tolerate_any_encoding()
    print("für ✓")
    stream.flush()
    assert buffer.getvalue() == b"f\\xfcr \\u2713\n"
