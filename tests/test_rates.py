"""One rounding rule: the API's rates are exact fractions; pages, workbooks and reports show
percentages with two decimals, rounded half up or truncated as `JIEBAN_RATE_ROUNDING` says."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from jieban.conf import ConfigurationError, env_choice
from jieban.stats.rates import (
    Rounding,
    configured_rounding,
    fraction,
    percent,
    rounding_of,
    row_percent,
)
from tests.conftest import process_env

HALF_UP, TRUNCATE = Rounding.HALF_UP, Rounding.TRUNCATE


class TestPercent:
    def test_it_rounds_the_bureaus_example_half_up_or_truncated(self) -> None:
        # 1,428 of 1,456: 98.0769… %
        assert percent(1428, 1456, HALF_UP) == Decimal("98.08")
        assert percent(1428, 1456, TRUNCATE) == Decimal("98.07")
        assert str(percent(1428, 1456, HALF_UP)) == "98.08"

    def test_an_exact_half_of_a_hundredth_goes_up_only_half_up(self) -> None:
        # 1 of 20,000 is 0.005 %; 201 of 20,000 is 1.005 %, which a float holds as
        # 1.00499999…: formatted from the float it would read 1.00 %.
        assert f"{201 / 20000 * 100:.2f}" == "1.00"
        assert percent(201, 20000, HALF_UP) == Decimal("1.01")
        assert percent(201, 20000, TRUNCATE) == Decimal("1.00")
        assert percent(1, 20000, HALF_UP) == Decimal("0.01")
        assert percent(1, 20000, TRUNCATE) == Decimal("0.00")

    def test_just_below_a_half_stays_down_either_way(self) -> None:
        # 4,999 of 100,000,000 is 0.004999 %.
        assert percent(4999, 100_000_000, HALF_UP) == Decimal("0.00")
        assert percent(5000, 100_000_000, HALF_UP) == Decimal("0.01")

    def test_it_keeps_two_decimals_at_the_ends(self) -> None:
        assert str(percent(0, 7, HALF_UP)) == "0.00"
        assert str(percent(7, 7, TRUNCATE)) == "100.00"
        assert str(percent(1, 3, TRUNCATE)) == "33.33"
        assert str(percent(2, 3, HALF_UP)) == "66.67"
        assert str(percent(2, 3, TRUNCATE)) == "66.66"

    def test_nothing_to_divide_by_is_no_figure(self) -> None:
        assert percent(0, 0, HALF_UP) is None
        assert fraction(0, 0) is None

    def test_a_row_is_rounded_from_its_counts_not_its_fraction(self) -> None:
        # An older frozen report stored its fractions rounded to four decimals.
        row = {"resolved": 1428, "total": 1456, "closure_rate": 0.9808}
        assert row_percent(row, "closure_rate", TRUNCATE) == Decimal("98.07")
        assert row_percent({"total": 0}, "closure_rate", HALF_UP) is None


def test_the_api_fraction_is_exact() -> None:
    assert fraction(1428, 1456) == 1428 / 1456
    assert fraction(2, 3) == 2 / 3 != 0.6667


class TestTheRule:
    def test_it_is_half_up_by_default(self) -> None:
        assert django_settings.JIEBAN_RATE_ROUNDING == "half_up"
        assert configured_rounding() is HALF_UP

    def test_it_follows_the_setting(self, settings: Any) -> None:
        settings.JIEBAN_RATE_ROUNDING = "truncate"
        assert configured_rounding() is TRUNCATE

    def test_a_report_records_its_rule_and_an_older_one_was_half_up(self) -> None:
        assert rounding_of({"rounding": "truncate"}) is TRUNCATE
        assert rounding_of({"rounding": "half_up"}) is HALF_UP
        assert rounding_of({"overall": {}}) is HALF_UP

    def test_a_setting_outside_the_choices_is_refused(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        choices = [rule.value for rule in Rounding]
        monkeypatch.setenv("JIEBAN_RATE_ROUNDING", "truncate")
        assert env_choice("JIEBAN_RATE_ROUNDING", "half_up", choices) == "truncate"
        monkeypatch.setenv("JIEBAN_RATE_ROUNDING", "")
        assert env_choice("JIEBAN_RATE_ROUNDING", "half_up", choices) == "half_up"
        monkeypatch.setenv("JIEBAN_RATE_ROUNDING", "round")
        with pytest.raises(ConfigurationError, match="half_up, truncate, got 'round'"):
            env_choice("JIEBAN_RATE_ROUNDING", "half_up", choices)

    def test_the_server_does_not_start_with_a_wrong_rule(self, tmp_path: Path) -> None:
        env = process_env(str(tmp_path), JIEBAN_RATE_ROUNDING="Truncate")
        result = subprocess.run(
            [sys.executable, "-m", "jieban", "check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert (
            "ConfigurationError: JIEBAN_RATE_ROUNDING must be one of half_up, truncate, "
            "got 'Truncate'" in result.stderr
        )
