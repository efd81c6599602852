"""Look-alike names and unsafe addresses fail; the fixture and the real curated set pass."""

from pathlib import Path

import polars as pl
import pytest
from conftest import FIXTURE, add_row, edit, find, problems_of

from ai_lab_funding.build.rules.addresses import DEFAULT_IGNORABLE, host_problem
from ai_lab_funding.build.rules.names import mixed_script_look_alike, skeleton
from ai_lab_funding.build.validation import validate_curated
from ai_lab_funding.cli import main
from ai_lab_funding.release.publish import compile_release

REAL = Path(__file__).resolve().parent.parent / "curated"
INVESTORS = "curated/investors.csv"
SOURCE = ("source_id", "gmteight-20260121-moonshot-4-8b")


def _investor(folder, investor_id: str, name: str) -> int:
    return add_row(
        folder,
        "investors",
        investor_id=investor_id,
        name=name,
        investor_type="venture_capital",
        country="CN",
    )


def test_cyrillic_look_alike_of_an_investor(curated, capsys):
    line = _investor(curated, "alibaba-group-2", "\u0410libaba Group")  # Cyrillic А
    ps = problems_of(curated)
    new = find(ps, "confusable_name", file=INVESTORS, line=line, column="name")
    old = find(ps, "confusable_name", file=INVESTORS, line=2, column="name")
    assert new.hint == "looks like investors alibaba ('Alibaba Group')"
    assert old.hint == "looks like investors alibaba-group-2 ('\u0410libaba Group')"
    mixed = find(ps, "mixed_script_name", file=INVESTORS, line=line, column="name")
    assert mixed.hint.startswith("'\u0410' is CYRILLIC and looks like LATIN")
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert f"investors.csv:{line}:name: confusable_name: " in out
    assert "investors.csv:2:name: confusable_name: " in out


def test_investor_named_like_a_company_in_plain_ascii(curated):
    # "Moonshot Al" with a lower-case L: one script, same skeleton as the company.
    line = _investor(curated, "moonshot-al", "Moonshot Al")
    ps = problems_of(curated)
    p = find(ps, "confusable_name", file=INVESTORS, line=line)
    assert p.hint == "looks like companies moonshot-ai ('Moonshot AI')"
    find(ps, "confusable_name", file="curated/companies.csv", line=2, column="name")


def test_whole_script_look_alike(curated):
    line = _investor(curated, "tencent-2", "\u0422\u0435n\u0441\u0435nt")  # Т е с е Cyrillic
    find(problems_of(curated), "confusable_name", file=INVESTORS, line=line)


def test_mixed_scripts_alone_are_an_error(curated):
    line = edit(curated, "investors", ("investor_id", "meituan"), "name", "Meitu\u0430n")
    find(problems_of(curated), "mixed_script_name", file=INVESTORS, line=line, column="name")


def test_chinese_japanese_and_mixed_latin_names_pass(curated):
    legit = ["红杉中国", "IDG资本", "ソフトバンク株式会社", "Crédit Agricole", "Orient 东方证券"]
    for i, name in enumerate(legit):
        _investor(curated, f"legit-{i}", name)
    result = compile_release(curated)  # raises on any error
    assert {w.rule for w in result.warnings} <= {"orphan", "unparseable", "not_compared"}


def test_the_same_name_in_two_tables_is_not_a_look_alike(curated):
    edit(curated, "investors", ("investor_id", "meituan"), "name", "Moonshot AI")
    assert not [p for p in validate_curated(curated)[1] if p.rule == "confusable_name"]


def test_skeletons_follow_unicodes_table():
    assert skeleton("\u0410nthropic") == skeleton("Anthropic")
    assert skeleton("modern") == skeleton("rnodern")
    assert skeleton("ＯｐｅｎＡＩ") == skeleton("OpenAI")
    assert skeleton("OpenAI") != skeleton("Anthropic")
    assert mixed_script_look_alike("红杉中国") is None
    assert mixed_script_look_alike("Luster (凌云光技术国际)") is None
    assert mixed_script_look_alike("Orient Securities 东方证券") is None  # Latin O, not 〇
    assert mixed_script_look_alike("〇penAI") is not None


def test_every_real_name_passes():
    names = pl.concat(
        [
            pl.read_csv(REAL / f"{t}.csv", infer_schema=False).select("name")
            for t in ("companies", "investors")
        ]
    )["name"].to_list()
    assert [n for n in names if mixed_script_look_alike(n)] == []
    by_skeleton: dict[str, set[str]] = {}
    for n in names:
        by_skeleton.setdefault(skeleton(n), set()).add(n)
    assert [texts for texts in by_skeleton.values() if len(texts) > 1] == []


# (address, rule)
UNSAFE = [
    ("http://127.0.0.1/admin", "private_host"),
    ("http://localhost:8080/", "private_host"),
    ("https://wiki.corp.internal/page", "private_host"),
    ("http://printer.local/", "private_host"),
    ("http://[::1]/", "private_host"),
    ("http://10.1.2.3/a", "private_host"),
    ("http://192.168.0.1/", "private_host"),
    ("http://169.254.169.254/latest/meta-data/", "private_host"),
    ("http://0.0.0.0/", "private_host"),
    ("http://2130706433/", "private_host"),
    ("http://0x7f.1/", "private_host"),
    ("http:///127.0.0.1/", "private_host"),
    ("http://127.0.0.1\\@example.com/", "private_host"),
    ("http://%6c%6fcalhost/", "private_host"),
    ("http://intranet/", "private_host"),
    ("https://user:secret@example.com/a", "address_credentials"),
    ("https://token@example.com/a", "address_credentials"),
    ("https://example.com/\u202egnp.exe", "address_hidden_character"),
    ("https://exa\u200bmple.com/", "address_hidden_character"),
    ("https://example.com/\u3164", "address_hidden_character"),
    ("ftp://example.com/file", "pattern"),
    ("javascript:alert(1)", "pattern"),
]


@pytest.mark.parametrize(("address", "rule"), UNSAFE)
def test_unsafe_source_address(curated, address, rule):
    line = edit(curated, "sources", SOURCE, "address", address)
    find(problems_of(curated), rule, file="curated/sources.csv", line=line, column="address")


def test_private_host_fails_validate_and_says_why(curated, capsys):
    line = edit(curated, "sources", SOURCE, "address", "http://169.254.169.254/latest/")
    assert main(["validate", str(curated)]) == 1
    out = capsys.readouterr().out
    assert (
        f"sources.csv:{line}:address: private_host: address leads to a loopback, private, "
        "link-local, reserved or local host ('http://169.254.169.254/latest/'); "
        "169.254.169.254 is a link-local address"
    ) in out


def test_company_website_is_checked_too(curated):
    line = edit(curated, "companies", ("company_id", "moonshot-ai"), "website", "http://[fe80::1]/")
    find(problems_of(curated), "private_host", file="curated/companies.csv", line=line)


@pytest.mark.parametrize(
    "host",
    ["www.itiger.com", "61.152.230.22", "example.org:8443", "[2606:4700::1111]", "xn--fiqs8s.cn"],
)
def test_public_hosts_pass(host):
    assert host_problem(host) is None


def test_the_hidden_characters_spelled_out_are_unicodes_default_ignorables():
    # Spark's Java regex has no name for the property, so the rule lists its code points;
    # they must be exactly the ones polars' regex (Unicode's own table) knows by name.
    every = pl.Series([chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF])
    by_name = every.str.contains(r"^\p{Default_Ignorable_Code_Point}$")
    by_list = every.str.contains(f"^[{DEFAULT_IGNORABLE}]$")
    assert by_name.sum() > 4000 and (by_name == by_list).all()


def test_fixture_and_real_curated_set_have_no_errors():
    for folder in (FIXTURE, REAL):
        tables, problems = validate_curated(folder)
        assert tables is not None
        assert [str(p) for p in problems if p.severity == "error"] == [], folder
