"""The error type's rendering: place, source line and caret."""

from cgtui.core.errors import CgtuiError


def test_caret_under_the_column() -> None:
    err = CgtuiError("bad", line=1, column=5, source_line="a + * b")
    assert str(err).splitlines() == ["bad at 1:5", "  a + * b", "      ^"]


def test_caret_lines_up_after_tabs() -> None:
    err = CgtuiError("bad", line=2, column=4, source_line="\tx\t* y", file="f.expr")
    lines = str(err).splitlines()
    assert lines[0] == "bad at 2:4 in f.expr"
    assert lines[2] == "  \t \t^"
