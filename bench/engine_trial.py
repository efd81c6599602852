"""Trial for issue 22: which route writes a cross-table rule once and runs it on several engines.

Three rules that cover the shapes the catalogue uses — a window (`lead_role`), a group-by
joined back (`pre_plus_amount`, with its unpriced tranches) and a cross-table join
(`ticket_above_round`) — written three ways:

- **narwhals**: one function per rule on Narwhals lazy frames (the polars API), run on
  polars, DuckDB and PySpark;
- **sql**: one DuckDB SQL text per rule, transpiled by SQLGlot for Spark and polars' SQL;
- **ibis**: one Ibis expression per rule, run on Ibis' polars, DuckDB and PySpark backends.

Each rule returns the keys of its failing rows; the trial plants the same defects on every
engine and checks that every route and engine finds the same keys. It needs a virtual
environment with the project's pins plus `narwhals`, `sqlglot` and `ibis-framework[duckdb]`
(the project does not depend on the losing routes):

    python -m venv /tmp/trialvenv
    /tmp/trialvenv/bin/pip install -r requirements.lock narwhals sqlglot 'ibis-framework[duckdb]'
    /tmp/trialvenv/bin/python bench/generate.py 1000000 /tmp/trial/1m
    /tmp/trialvenv/bin/python bench/engine_trial.py /tmp/trial/1m

Times are per rule on tables already loaded into the engine (the load is the same for every
route), best of two, in one process; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

COLUMNS = {
    "rounds": [
        "round_id",
        "amount",
        "currency",
        "pre_money_valuation",
        "post_money_valuation",
        "extension_of",
        "round_type",
    ],
    "round_investors": ["round_id", "investor_id", "role", "amount", "currency"],
}


def load(folder: Path) -> dict[str, pl.DataFrame]:
    """The two tables the trial rules read, with planted defects the rules must find."""
    rounds = pl.read_csv(folder / "rounds.csv", infer_schema_length=0).select(
        "round_id",
        pl.col("amount").cast(pl.Float64),
        "currency",
        pl.col("post_money_valuation").cast(pl.Float64),
        "round_type",
    )
    rounds = rounds.with_columns(
        # every 1000th round priced: pre = post - amount, one in ten of those off by 5%
        pl.when(pl.int_range(pl.len()) % 1000 == 0)
        .then(
            pl.col("post_money_valuation")
            - pl.col("amount") * pl.when(pl.int_range(pl.len()) % 10000 == 0).then(1.5).otherwise(1)
        )
        .alias("pre_money_valuation"),
        # every 5000th round is an unpriced tranche of the round before it
        pl.when(pl.int_range(pl.len()) % 5000 == 1)
        .then(pl.col("round_id").shift(1))
        .alias("extension_of"),
    ).select(COLUMNS["rounds"])
    rounds = rounds.with_columns(
        pl.when(pl.col("extension_of").is_not_null())
        .then(None)
        .otherwise(pl.col("pre_money_valuation"))
        .alias("pre_money_valuation"),
        pl.when(pl.col("extension_of").is_not_null())
        .then(None)
        .otherwise(pl.col("post_money_valuation"))
        .alias("post_money_valuation"),
    )
    ri = pl.read_csv(folder / "round_investors.csv", infer_schema_length=0)
    i = pl.int_range(pl.len())
    ri = ri.with_columns(
        # two leads on every 700th round's first row; tickets on every 300th row
        pl.when(i % 1400 == 1).then(pl.lit("lead")).otherwise(pl.col("role")).alias("role"),
        pl.when(i % 300 == 0)
        .then(pl.lit(1e6))
        .when(i % 3000 == 3)
        .then(pl.lit(1e12))
        .alias("amount"),
    ).with_columns(pl.when(pl.col("amount").is_not_null()).then(pl.lit("USD")).alias("currency"))
    return {"rounds": rounds, "round_investors": ri.select(COLUMNS["round_investors"])}


# --- narwhals --------------------------------------------------------------------------------


def nw_rules() -> dict[str, Callable]:
    import narwhals as nw

    def lead_role(t):
        ri = t["round_investors"]
        leading = nw.col("role").is_in(["lead", "co_lead"])
        count = leading.cast(nw.Int64).sum().over("round_id")
        bad = leading & ((nw.col("role") == "lead") != (count == 1))
        return ri.filter(bad).select("round_id", "investor_id")

    def pre_plus_amount(t):
        r = t["rounds"]
        extra = (
            r.filter(
                ~nw.col("extension_of").is_null()
                & nw.col("post_money_valuation").is_null()
                & nw.col("pre_money_valuation").is_null()
            )
            .group_by("extension_of")
            .agg(nw.col("amount").sum().alias("__extra"))
        )
        j = r.join(extra, left_on="round_id", right_on="extension_of", how="left")
        amount = nw.col("amount") + nw.col("__extra").fill_null(0.0)
        pre, post = nw.col("pre_money_valuation"), nw.col("post_money_valuation")
        off = (pre + amount - post).abs() > 0.01 * post
        known = ~pre.is_null() & ~post.is_null() & ~nw.col("amount").is_null()
        return j.filter(known & (nw.col("round_type") != "secondary") & off).select("round_id")

    def ticket_above_round(t):
        rounds = t["rounds"].select(
            "round_id", nw.col("amount").alias("__round"), nw.col("currency").alias("__ccy")
        )
        tickets = t["round_investors"].filter(~nw.col("amount").is_null())
        j = tickets.join(rounds, on="round_id", how="left")
        above = (nw.col("currency") == nw.col("__ccy")) & (nw.col("amount") > nw.col("__round"))
        return j.filter(above).select("round_id", "investor_id")

    return {f.__name__: f for f in (lead_role, pre_plus_amount, ticket_above_round)}


# --- SQL, transpiled by SQLGlot ---------------------------------------------------------------

SQL = {
    "lead_role": """
        SELECT round_id, investor_id FROM (
          SELECT round_id, investor_id, role,
                 SUM(CASE WHEN role IN ('lead', 'co_lead') THEN 1 ELSE 0 END)
                   OVER (PARTITION BY round_id) AS n
          FROM round_investors) AS x
        WHERE role IN ('lead', 'co_lead') AND ((role = 'lead') <> (n = 1))""",
    "pre_plus_amount": """
        WITH extra AS (
          SELECT extension_of, SUM(amount) AS extra FROM rounds
          WHERE extension_of IS NOT NULL AND post_money_valuation IS NULL
            AND pre_money_valuation IS NULL
          GROUP BY extension_of)
        SELECT r.round_id FROM rounds AS r LEFT JOIN extra AS e ON r.round_id = e.extension_of
        WHERE r.pre_money_valuation IS NOT NULL AND r.post_money_valuation IS NOT NULL
          AND r.amount IS NOT NULL AND r.round_type <> 'secondary'
          AND ABS(r.pre_money_valuation + r.amount + COALESCE(e.extra, 0)
                  - r.post_money_valuation) > 0.01 * r.post_money_valuation""",
    "ticket_above_round": """
        SELECT t.round_id, t.investor_id FROM round_investors AS t
        LEFT JOIN rounds AS r ON t.round_id = r.round_id
        WHERE t.amount IS NOT NULL AND t.currency = r.currency AND t.amount > r.amount""",
}


# --- Ibis ----------------------------------------------------------------------------------------


def ibis_rules() -> dict[str, Callable]:
    import ibis

    def lead_role(t):
        ri = t["round_investors"]
        leading = ri.role.isin(["lead", "co_lead"])
        n = leading.cast("int64").sum().over(group_by=ri.round_id)
        x = ri.mutate(__n=n, __leading=leading)
        bad = x.__leading & ((x.role == "lead") != (x.__n == 1))
        return x.filter(bad).select("round_id", "investor_id")

    def pre_plus_amount(t):
        r = t["rounds"]
        extra = (
            r.filter(
                r.extension_of.notnull()
                & r.post_money_valuation.isnull()
                & r.pre_money_valuation.isnull()
            )
            .group_by(r.extension_of)
            .aggregate(__extra=r.amount.sum())
        )
        j = r.left_join(extra, r.round_id == extra.extension_of)
        amount = j.amount + j.__extra.fill_null(0.0)
        off = (j.pre_money_valuation + amount - j.post_money_valuation).abs() > (
            0.01 * j.post_money_valuation
        )
        known = (
            j.pre_money_valuation.notnull() & j.post_money_valuation.notnull() & j.amount.notnull()
        )
        return j.filter(known & (j.round_type != "secondary") & off).select("round_id")

    def ticket_above_round(t):
        r = t["rounds"].select("round_id", __round=t["rounds"].amount, __ccy=t["rounds"].currency)
        tk = t["round_investors"].filter(t["round_investors"].amount.notnull())
        j = tk.left_join(r, tk.round_id == r.round_id)
        above = (j.currency == j.__ccy) & (j.amount > j.__round)
        return j.filter(above).select("round_id", "investor_id")

    _ = ibis
    return {f.__name__: f for f in (lead_role, pre_plus_amount, ticket_above_round)}


# --- engines ---------------------------------------------------------------------------------


def _best(fn: Callable[[], object]) -> tuple[float, object]:
    times, out = [], None
    for _ in range(2):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _keys(df: pl.DataFrame) -> list[tuple]:
    return sorted(df.rows())


Record = Callable[[str, str, str, Callable[[], pl.DataFrame]], None]


def _on_polars(tables: dict[str, pl.DataFrame], record: Record) -> None:
    import ibis
    import narwhals as nw
    import sqlglot

    lazy = {k: v.lazy() for k, v in tables.items()}
    for name, rule in nw_rules().items():
        nwt = {k: nw.from_native(v) for k, v in lazy.items()}
        record("narwhals", "polars", name, lambda r=rule, t=nwt: r(t).collect().to_native())
    ctx = pl.SQLContext(frames=lazy)
    for name, sql in SQL.items():
        q = sqlglot.transpile(sql, read="duckdb", write="duckdb")[0]
        record("sql", "polars", name, lambda q=q: ctx.execute(q).collect())
    ipl = ibis.polars.connect()
    it = {k: ipl.create_table(k, v) for k, v in tables.items()}
    for name, rule in ibis_rules().items():
        record("ibis", "polars", name, lambda r=rule: ipl.to_polars(r(it)))


def _on_duckdb(tables: dict[str, pl.DataFrame], record: Record) -> None:
    import duckdb
    import ibis
    import narwhals as nw

    con = duckdb.connect()
    for k, v in tables.items():
        con.register(f"_{k}", v.to_arrow())
        con.execute(f"CREATE TABLE {k} AS SELECT * FROM _{k}")
    for name, rule in nw_rules().items():
        nwt = {k: nw.from_native(con.table(k)) for k in tables}
        record("narwhals", "duckdb", name, lambda r=rule, t=nwt: r(t).collect("polars").to_native())
    for name, sql in SQL.items():
        record("sql", "duckdb", name, lambda q=sql: con.sql(q).pl())
    idb = ibis.duckdb.from_connection(con)
    it = {k: idb.table(k) for k in tables}
    for name, rule in ibis_rules().items():
        record("ibis", "duckdb", name, lambda r=rule: idb.to_polars(r(it)))


def _on_spark(tables: dict[str, pl.DataFrame], record: Record) -> None:
    """A local Spark session reading the tables from Parquet, as a cluster job would."""
    import ibis
    import narwhals as nw
    import sqlglot

    from ai_lab_funding.build.java import use_java

    with tempfile.TemporaryDirectory() as tmp:
        use_java(Path(tmp), prefer_packaged=True)
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.driver.memory", "4g")
            .getOrCreate()
        )
        for k, v in tables.items():
            path = Path(tmp) / f"{k}.parquet"
            v.write_parquet(path)
            spark.read.parquet(str(path)).cache().createOrReplaceTempView(k)
            spark.table(k).count()

        def spark_out(sdf) -> pl.DataFrame:
            return pl.from_arrow(sdf.toArrow())

        for name, rule in nw_rules().items():
            nwt = {k: nw.from_native(spark.table(k)) for k in tables}
            record("narwhals", "spark", name, lambda r=rule, t=nwt: spark_out(r(t).to_native()))
        for name, sql in SQL.items():
            q = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
            record("sql", "spark", name, lambda q=q: spark_out(spark.sql(q)))
        isp = ibis.pyspark.connect(spark)
        it = {k: isp.table(k) for k in tables}
        for name, rule in ibis_rules().items():
            record("ibis", "spark", name, lambda r=rule: isp.to_polars(r(it)))
        spark.stop()


def run(folder: Path) -> list[dict]:
    """Every rule by every route on every engine; a route that fails is recorded, not raised."""
    tables = load(folder)
    results: list[dict] = []

    def record(route: str, engine: str, rule: str, fn: Callable[[], pl.DataFrame]) -> None:
        row = {"route": route, "engine": engine, "rule": rule}
        try:
            secs, out = _best(fn)
            results.append({**row, "s": secs, "keys": _keys(out)})
        except Exception as e:  # noqa: BLE001 - a route that cannot express a rule is a finding
            results.append({**row, "s": None, "error": repr(e)[:200]})

    for engine in (_on_polars, _on_duckdb, _on_spark):
        engine(tables, record)
    return results


def report(results: list[dict]) -> str:
    truth = {
        r["rule"]: r["keys"]
        for r in results
        if r["route"] == "narwhals" and "keys" in r and r["engine"] == "polars"
    }
    lines = [
        "| route | engine | rule | seconds | failing rows | same as narwhals/polars |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['route']} | {r['engine']} | {r['rule']} | error | {r['error']} | |")
            continue
        same = "yes" if r["keys"] == truth.get(r["rule"]) else "NO"
        lines.append(
            f"| {r['route']} | {r['engine']} | {r['rule']} | {r['s']:.3f} | "
            f"{len(r['keys'])} | {same} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, help="synthetic curated tables (bench/generate.py)")
    args = p.parse_args()
    print(report(run(args.folder)))


if __name__ == "__main__":
    main()
