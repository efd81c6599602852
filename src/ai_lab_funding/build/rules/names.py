"""Rules on names: no company or investor name may pass for another one.

A pull request can add "Аnthropic" (with a Cyrillic А) beside "Anthropic": the two read
the same, so a reader would take one party's rounds for the other's. Two checks, both from
Unicode's confusables table (UTS #39) as `confusable_homoglyphs` ships it, never a
hand-kept list:

- look-alikes: names are grouped by their skeleton (every character replaced by the one
  it is confusable with), and names in one group that are not the same text are flagged.
  A group-by, not a comparison of every pair, so tens of thousands of names cost little.
- mixed scripts: a name holding a letter of one script that looks like a letter of
  another script in the same name ("Аnthropic" alone, with no "Anthropic" to match).
  Chinese, Japanese and Korean scripts mix with each other and with Latin as a matter of
  course ("IDG资本"); only a look-alike across scripts counts.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import cache

import narwhals as nw
import polars as pl

from ...schemas import tables as ts
from .base import _ROW, Rule, Tables, remembered, texts_at
from .portable import NwTables, per_value, portable_rule, rows_on_polars

# Tables whose `name` column names a party; their names are compared across tables.
NAMED_TABLES = ("companies", "investors")
# Scripts that mix within one name as a matter of course (UTS #39 "highly restrictive").
_EAST_ASIAN = frozenset({"HAN", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
# Characters shared by every script (digits, punctuation, combining marks).
_NO_SCRIPT = frozenset({"COMMON", "INHERITED"})
_LRM = "\u200e"  # the table wraps right-to-left glyphs in marks for display


def _prototype(ch: str, glyphs: list[str], links: dict[str, list[str]]) -> str:
    """The character (or sequence) `ch` stands for in a skeleton.

    The table lists, for a prototype, all its look-alikes, and for a look-alike, its one
    prototype; a pair that only names each other is resolved to the character that Unicode
    compatibility normalisation keeps (else the lower code point), the same for both.
    """
    if len(glyphs) != 1:
        return ch
    other = glyphs[0]
    if len(other) > 1 or len(links.get(other, ())) > 1:
        return other

    def rank(c: str) -> tuple[bool, str]:
        return unicodedata.normalize("NFKC", c) != c, c

    return min(ch, other, key=rank)


@cache
def _skeleton_table() -> dict[int, str]:
    """Code point → prototype text, for `str.translate`; prototypes map to themselves."""
    from confusable_homoglyphs.confusables import confusables_data

    links = {
        k.replace(_LRM, ""): [g["c"].replace(_LRM, "") for g in v]
        for k, v in confusables_data.items()
    }
    table = {
        ord(ch): proto
        for ch, glyphs in links.items()
        if len(ch) == 1 and (proto := _prototype(ch, glyphs, links)) != ch
    }
    # A prototype sequence may hold characters that map further ("(日)" → "(⽇)").
    for _ in range(4):
        table = {k: unicodedata.normalize("NFD", v).translate(table) for k, v in table.items()}
    return table


def skeleton(name: str) -> str:
    """The UTS #39 skeleton of `name`: equal for two names that look alike.

    Compatibility forms are folded first (NFKD: full-width ＡＩ, mathematical 𝐀𝐈, the ﬁ
    ligature), since the confusables table leaves many of them to that normalisation.
    """
    folded = unicodedata.normalize("NFKD", name)
    return unicodedata.normalize("NFD", folded.translate(_skeleton_table()))


@cache
def _script_and_look_alikes(ch: str) -> tuple[str, frozenset[str]]:
    """The script of `ch`, and the scripts of the characters it is confusable with."""
    from confusable_homoglyphs import categories, confusables

    found = confusables.is_confusable(ch, greedy=True) or []
    glyphs = "".join(h["c"] for hit in found for h in hit["homoglyphs"])
    return categories.alias(ch), frozenset(map(categories.alias, set(glyphs) - {_LRM}))


def mixed_script_look_alike(name: str) -> str | None:
    """What makes `name` mix scripts dangerously, or None.

    A letter that is confusable with a letter of another script the name uses at least as
    often: the odd one out ("Аnthropic", "〇penAI"), not a Latin O beside a Chinese name.
    Each character is looked up once per run (cached), so many names cost little.
    """
    letters = [(ch, *_script_and_look_alikes(ch)) for ch in name]
    scripts = {script for _, script, _ in letters} - _NO_SCRIPT
    if len(scripts) < 2:
        return None
    count = Counter(script for _, script, _ in letters)
    for ch, script, looks_like in sorted(set(letters), key=lambda x: (count[x[1]], x[0])):
        others = {s for s in (looks_like & scripts) - {script} if count[s] >= count[script]}
        if script in _NO_SCRIPT or (script in _EAST_ASIAN and others <= _EAST_ASIAN):
            continue
        if others:
            return f"{ch!r} is {script} and looks like {min(others)}, which the name also uses"
    return None


def _alike(names: nw.LazyFrame) -> nw.LazyFrame:
    """The rows of `names` whose `name` shares a skeleton with a different text, on any engine.

    A group-by on the skeleton, not a comparison of every pair; each distinct name's
    skeleton is computed once (`per_value`).
    """
    judged = per_value(names, "name", skeleton, "__skeleton")
    shared = (
        judged.group_by("__skeleton")
        .agg(nw.col("name").n_unique().alias("__texts"))
        .filter(nw.col("__texts") > 1)
    )
    return judged.join(shared, on="__skeleton", how="semi")


def _look_alike_rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """Rows whose name looks like another name of either table: the rule, on any engine."""
    names = nw.concat([t[table].select("name") for table in NAMED_TABLES], how="vertical")
    alike = _alike(names.filter(~nw.col("name").is_null()).unique()).select("name")
    return own.join(alike, on="name", how="semi")


def _look_alikes(t: Tables) -> pl.DataFrame:
    """Every row whose name looks like another, with its table, row, key and skeleton.

    The rule's details (both tables') ask for it: it is computed once per frames.
    """

    def compute() -> pl.DataFrame:
        frames = []
        for table in NAMED_TABLES:
            key = ts.primary_key(table)[0]
            frames.append(
                t[table]
                .select(pl.col(key).cast(pl.String).alias("__key"), "name")
                .with_row_index(_ROW)
                .with_columns(pl.lit(table).alias("__table"))
            )
        names = nw.from_native(pl.concat(frames).drop_nulls("name").lazy())
        return _alike(names).collect().to_native()

    return remembered("look_alikes", tuple(t[table] for table in NAMED_TABLES), compute)


def _look_alikes_named(t: Tables, table: str, height: int) -> pl.Series:
    """Per row of `table`, the first few other rows whose name looks like its name."""
    hits = _look_alikes(t)
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for skel, other, key, name in hits.select("__skeleton", "__table", "__key", "name").rows():
        groups.setdefault(skel, []).append((other, key, name))
    texts: list[str | None] = [None] * height
    mine = hits.filter(pl.col("__table") == table).select(_ROW, "__skeleton", "name")
    for pos, skel, name in mine.rows():
        alike = [f"{o} {k} ({n!r})" for o, k, n in groups[skel] if n != name][:3]
        texts[pos] = "looks like " + "; ".join(alike)
    return pl.Series("detail", texts, dtype=pl.String)


def _distinct_look(table: str) -> Rule:
    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        return _look_alikes_named(t, table, df.height)

    return portable_rule(
        "confusable_name",
        table,
        "name",
        "name looks the same as another company's or investor's name but is other text",
        _look_alike_rows,
        detail=detail,
    )


def _mixed_script_rows(own: nw.LazyFrame, t: NwTables) -> nw.LazyFrame:
    """Rows whose name mixes scripts with look-alike letters, with why, on any engine.

    ASCII names cannot mix scripts, so only the others reach the Python function.
    """
    why = per_value(own, "name", mixed_script_look_alike, "__why", only=r"[^\x00-\x7f]")
    return why.filter(~nw.col("__why").is_null())


def _script_rule(table: str) -> Rule:
    def detail(df: pl.DataFrame, t: Tables) -> pl.Series:
        rows = rows_on_polars(_mixed_script_rows, df, t, "__why")
        return texts_at(df.height, rows[_ROW], rows["__why"])

    return portable_rule(
        "mixed_script_name",
        table,
        "name",
        "name mixes scripts with look-alike letters (e.g. a Cyrillic А among Latin letters)",
        _mixed_script_rows,
        detail=detail,
    )


def rules() -> list[Rule]:
    """The rules on company and investor names."""
    return [
        *(_distinct_look(table) for table in NAMED_TABLES),
        *(_script_rule(table) for table in NAMED_TABLES),
    ]
