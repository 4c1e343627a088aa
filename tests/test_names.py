"""The one rule for fresh names, shared by generated code and imported programs."""

from __future__ import annotations

from cgtui.core.names import fresh_name


def test_a_new_name_is_kept_and_recorded() -> None:
    taken: set[str] = set()
    assert fresh_name("w", taken, lambda n: False) == "w"
    assert taken == {"w"}


def test_a_taken_or_reserved_name_gets_the_first_free_number() -> None:
    taken = {"w", "w_1"}
    assert fresh_name("w", taken, lambda n: False) == "w_2"
    assert fresh_name("exp", taken, lambda n: n == "exp") == "exp_1"
    assert fresh_name("exp", taken, lambda n: n == "exp") == "exp_2"
    assert fresh_name("y_1", {"y_1"}, lambda n: False, sep="_v") == "y_1_v1"
    assert {"w_2", "exp_1", "exp_2"} <= taken
