"""Dated USD rates from the ECB history.

The nearest earlier business day, and the same rate however it was loaded.
"""

from datetime import date

import polars as pl
import pytest

from ai_lab_funding.build.derive.fx import FxTable, RateNotFound

SATURDAY, FRIDAY = date(2024, 6, 8), date(2024, 6, 7)


def test_expected_currencies_give_the_same_rates_as_one_at_a_time():
    together = FxTable(expected={"CNY", "EUR", "HKD"})
    for currency in (
        "CNY",
        "EUR",
        "HKD",
        "JPY",
    ):  # JPY was not expected: it is read when first asked for
        assert together.usd_rate(currency, FRIDAY) == FxTable().usd_rate(currency, FRIDAY)
    rate, _ = together.usd_rate("CNY", FRIDAY)
    assert 0.1 < rate < 0.2  # dollars per yuan


def test_a_weekend_uses_the_business_day_before_and_says_so():
    rate, day = FxTable().usd_rate("EUR", SATURDAY)
    assert day == FRIDAY and (rate, day) == FxTable().usd_rate("EUR", FRIDAY)
    assert FxTable().usd_rate("USD", SATURDAY) == (1.0, SATURDAY)


def test_a_currency_the_ecb_does_not_publish_is_an_error_that_names_it():
    with pytest.raises(RateNotFound, match="NGN"):
        FxTable(expected={"NGN", "CNY"}).usd_rate("NGN", FRIDAY)


def test_whole_columns_get_a_rate_an_error_or_nothing_per_row():
    fx = FxTable(expected={"CNY"})
    out = fx.usd_rates(
        pl.Series(["CNY", "NGN", None, "CNY"]), pl.Series([FRIDAY, FRIDAY, FRIDAY, None])
    )
    assert out["rate"].is_not_null().to_list() == [True, False, False, False]
    assert out["error"].is_not_null().to_list() == [False, True, False, False]
    assert fx.frame()["currency"].to_list() == ["CNY"]  # only rates actually used are released
