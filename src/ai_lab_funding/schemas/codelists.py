"""ISO code lists named by the schemas' `x-codelist`, taken from pycountry rather than typed in."""

from __future__ import annotations

from functools import cache


@cache
def codes(codelist: str) -> frozenset[str]:
    """The valid codes of an ISO code list, e.g. "ISO 4217".

    pycountry is imported here, not with the module, so reading the schemas stays light.
    """
    import pycountry

    if codelist == "ISO 3166-1 alpha-2":
        return frozenset(c.alpha_2 for c in pycountry.countries)
    if codelist == "ISO 639-1":
        return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    if codelist == "ISO 4217":
        return frozenset(c.alpha_3 for c in pycountry.currencies)
    raise KeyError(f"unknown code list {codelist!r}")
