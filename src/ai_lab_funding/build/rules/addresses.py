"""Rules on web addresses: a released link must be a public http(s) page and say so plainly.

The Table Schemas mark such fields with `x-publicAddress` and require `http://` or
`https://` by pattern. The rest is here, because a pattern cannot parse a host: no
credentials (`user:pass@`), no control, bidirectional or invisible character, and no host
that leads into the reader's own machine or network (loopback, private, link-local,
unspecified or reserved addresses, `localhost`, `.local`, `.internal`).

Hosts are read the way a browser reads them (WHATWG URL), because that is what follows
the link: percent-escapes and full-width characters are decoded, extra slashes after the
scheme are skipped, a backslash ends the host, and 2130706433, 0x7f.1 and 127.1 are all
127.0.0.1. That judgement is Python (`host_problem`): polars asks it once per distinct host,
Spark runs it as a UDF (`portable.per_value`).
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import unquote

import narwhals as nw
import polars as pl

from ...schemas import tables as ts
from .base import _ROW, Detail, Rule, Tables, texts_at
from .portable import Failing, NwTables, failing, per_value, portable_rule, rows_on_polars

KEYWORD = "x-publicAddress"
# Controls, format characters (bidirectional overrides, zero-width spaces), line and
# paragraph separators, and every other character Unicode says to draw as nothing
# (Default_Ignorable_Code_Point, spelled out as code points: Java's regex, which Spark
# runs, has no name for it; a test holds the list to polars' own table).
DEFAULT_IGNORABLE = (
    r"\x{AD}\x{34F}\x{61C}\x{115F}-\x{1160}\x{17B4}-\x{17B5}\x{180B}-\x{180F}"
    r"\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{206F}\x{3164}\x{FE00}-\x{FE0F}"
    r"\x{FEFF}\x{FFA0}\x{FFF0}-\x{FFF8}\x{1BCA0}-\x{1BCA3}\x{1D173}-\x{1D17A}"
    r"\x{E0000}-\x{E0FFF}"
)
HIDDEN = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}" + DEFAULT_IGNORABLE + "]"
# A URL's scheme: the host part follows it and any slashes, up to the path (`_authority_column`).
_SCHEME = r"^[A-Za-z][A-Za-z0-9+.-]*:"
# Names that never lead to a public site (RFC 6761, RFC 6762, RFC 8375, ICANN .internal).
LOCAL_NAMES = ("localhost", "local", "internal", "test", "invalid", "example", "home.arpa")
# Dots as IDNA reads them: ideographic and full-width full stops separate labels too.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _part_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 address: decimal, 0x hex or 0-led octal; None if not one."""
    base, digits = 10, part
    if part[:2].lower() == "0x":
        base, digits = 16, part[2:]
    elif len(part) > 1 and part.startswith("0"):
        base, digits = 8, part[1:]
    if digits == "":
        return 0 if base == 16 else None
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def _ipv4(host: str) -> ipaddress.IPv4Address | str | None:
    """The IPv4 address a browser makes of `host`; None for a name; text if it is no address.

    A host whose last label is a number is an IPv4 address to a browser, in any of the
    old spellings (127.1, 0x7f000001, 0177.0.0.1).
    """
    parts = host.split(".")
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and _part_number(last) is None:
        return None
    numbers = [_part_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        return "malformed IPv4 address"
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return "malformed IPv4 address"
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return ipaddress.IPv4Address(value)


def _ip_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an IP address is not a public one, or None.

    An IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo) is judged by that too.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and _ip_kind(inner):
            return f"{ip} carries {_ip_kind(inner)}"
    kinds = ("loopback", "unspecified", "link_local", "multicast", "reserved", "private")
    for kind in kinds:
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is {'an' if kind[0] == 'u' else 'a'} {kind.replace('_', '-')} address"
    return None if ip.is_global else f"{ip} is not a public address"


def _split_port(authority: str) -> tuple[str, str | None]:
    """Host and port; a port that is no number is reported as the problem."""
    host = authority.rpartition("@")[2]  # credentials are another rule's problem
    end = host.rfind("]") if host.startswith("[") else -1
    head, colon, port = host[end + 1 :].rpartition(":")
    if not colon:
        return host, None
    host = host[: end + 1] + head
    return host, None if port == "" or port.isdigit() else "the port is not a number"


def _name_kind(host: str) -> str | None:
    """Why a host name does not name a public site, or None."""
    if any(unicodedata.category(c)[0] in "CZ" for c in host):
        return "the host holds a control, invisible or space character once decoded"
    if host in LOCAL_NAMES or host.endswith(tuple("." + n for n in LOCAL_NAMES)):
        return f"{host} is a local name"
    if "." not in host:
        return f"{host} has no dot: a name on the local network"
    return None


def host_problem(authority: str) -> str | None:
    """Why the host of an address's authority part is not a public site, or None."""
    host, bad_port = _split_port(authority)
    if bad_port:
        return bad_port
    host = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).lower().rstrip(".")
    if not host:
        return "the address names no host"
    if host.startswith("["):
        try:
            return _ip_kind(ipaddress.IPv6Address(host.strip("[]")))
        except ValueError:
            return "malformed IPv6 address"
    ip = _ipv4(host)
    if isinstance(ip, str):
        return ip
    return _ip_kind(ip) if ip is not None else _name_kind(host)


def _authority_column(frame: nw.LazyFrame, column: str) -> nw.LazyFrame:
    """`frame` with `__authority`, the host part of `column` (null without a scheme).

    What follows the scheme and any slashes, up to the path, query or fragment: written as
    two replacements, which every engine's regex runs alike.
    """
    value = nw.col(column)
    host = value.str.replace_all(_SCHEME + r"[/\\]*", "").str.replace_all(r"[/?#\\][\s\S]*$", "")
    authority = nw.when(value.str.contains(_SCHEME)).then(host)
    return frame.with_columns(authority.alias("__authority"))


def _public_host(column: str) -> Failing:
    def rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        hosts = per_value(_authority_column(own, column), "__authority", host_problem, "__why")
        return hosts.filter(~nw.col("__why").is_null())

    return rows


def _host_detail(column: str) -> Detail:
    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        rows = rows_on_polars(_public_host(column), df, t, "__why")
        return texts_at(df.height, rows[_ROW], rows["__why"])

    return detail


def _no_credentials(column: str) -> Failing:
    def rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        at = nw.col("__authority").str.contains("@", literal=True).fill_null(False)
        return failing(_authority_column(own, column), ~at)

    return rows


def _no_hidden(column: str) -> Failing:
    def rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
        return failing(own, ~nw.col(column).str.contains(HIDDEN).fill_null(False))

    return rows


def _field_rules(table: str, column: str) -> list[Rule]:
    return [
        portable_rule(
            "address_credentials",
            table,
            column,
            "address carries a user name or password (user:pass@host)",
            _no_credentials(column),
        ),
        portable_rule(
            "address_hidden_character",
            table,
            column,
            "address holds a control, bidirectional-override or invisible character",
            _no_hidden(column),
        ),
        portable_rule(
            "private_host",
            table,
            column,
            "address leads to a loopback, private, link-local, reserved or local host",
            _public_host(column),
            detail=_host_detail(column),
        ),
    ]


def rules() -> list[Rule]:
    """The rules on every field the Table Schemas mark `x-publicAddress`."""
    return [
        rule
        for table in ts.TABLE_ORDER
        for f in ts.fields_with(table, KEYWORD)
        if f[KEYWORD]
        for rule in _field_rules(table, f["name"])
    ]
