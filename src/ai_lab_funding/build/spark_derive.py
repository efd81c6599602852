"""The derive step on Spark: the build's own polars derivation, run on buckets of companies.

The derivation (USD amounts, parsed reports and their checks against the believed figure,
×10 flags, claim sums, valuations, totals) is about 1,900 lines of polars and row-by-row
Python: reading "US$1.2 billion" or "2026 年 1 月", a calendar of ECB rates. A second
version in Narwhals or SQL would drift from the first, and the dataset's claim is that
every engine gives the same answers. So Spark runs the same functions, where the data is:

- every derived row is computed within one company (`derive.derive_companies`), so each
  row of the six company tables is tagged with its company (a ticket through its round,
  a report through the fact it reports on), the rows are grouped into buckets by a hash
  of that company, and each bucket's tables are derived by the polars code in an executor
  (`applyInArrow`). Nothing is collected to the driver; a bucket holds whole companies,
  so its memory is a slice of the data, not all of it;
- the investors' parent chains cross companies: they are derived in one group of their
  own (one executor holds the investors table, small next to rounds and reports);
- the rates used are the union of every bucket's.

Problems of the derivation come back keyed by the row's primary key, as `spark_checks`
failures are. One difference from the build, on input that is already wrong: a round
linked (`counted_in`, `extension_of`) to another company's round is an error of its own
(`link_company`), but the totals derived around it may differ when the two companies fall
in different buckets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from ..problems import Problem
from ..schemas import tables as ts
from ..schemas import types
from .derive import currencies, derive_companies, released_columns
from .derive.base import Log, Tables
from .derive.fx import FxTable
from .derive.investors import derive_investors
from .spark_checks import fact_key_sql

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# The curated tables derived per company, and how a row finds its company.
COMPANY_TABLES = (
    "companies",
    "rounds",
    "metrics",
    "cumulative_claims",
    "round_investors",
    "reports",
)
# What a bucket returns: every table `derive_companies` makes, the rates and the problems.
BUCKET_TABLES = (*COMPANY_TABLES, "unit_flags", "facts", "valuations", "funding_totals")
PROBLEMS = "__problems"
_COMPANY, _BUCKET = "__company", "__bucket"
_PROBLEM_SCHEMA = pa.schema(
    [(name, pa.string()) for name in ("table", "key", "column", "rule", "value", "severity")]
)


def _nullable(table: str) -> list[pa.Field]:
    """The table's Arrow fields, every one nullable.

    A required cell left empty is an error the rules name afterwards, not a reason for the
    derivation to stop.
    """
    return [pa.field(f.name, f.type) for f in types.arrow_schema(table)]


def _output_schema() -> pa.Schema:
    """One struct column per table a bucket returns; each output row fills exactly one."""
    parts = [(t, pa.struct(_nullable(t))) for t in (*BUCKET_TABLES, "fx_rates")]
    return pa.schema([*parts, (PROBLEMS, pa.struct(list(_PROBLEM_SCHEMA)))])


def row_key(frame: pl.DataFrame, table: str, pos: int) -> str:
    """The primary key of the row at `pos`, as `spark_checks` writes keys ("a + b")."""
    row = frame.row(pos, named=True)
    return " + ".join("" if row[c] is None else str(row[c]) for c in ts.primary_key(table))


def keyed_problems(problems: list[Problem], tables: Tables) -> pl.DataFrame:
    """Problems logged with the table as file and the row position as line, keyed instead.

    Spark's rows have no line numbers; a failure names its row by primary key.
    """
    rows = [
        (p.file, row_key(tables[p.file], p.file, p.line), p.column, p.rule, p.value, p.severity)
        for p in problems
    ]
    schema = dict.fromkeys(_PROBLEM_SCHEMA.names, pl.String)
    return pl.DataFrame(rows, schema=schema, orient="row")


def derive_keyed(tables: Tables) -> Tables:
    """`derive_companies` on a set of whole companies, its problems as the PROBLEMS table.

    What each bucket runs; also how a test derives the same tables on polars to compare.
    """
    log = Log(file_of=lambda table: table, line_of=lambda table, pos: pos)
    fx = FxTable(currencies(tables))
    out = released_columns(
        {t: df for t, df in derive_companies(tables, fx, log).items() if t in BUCKET_TABLES}
    )
    out["fx_rates"] = released_columns({"fx_rates": fx.frame()})["fx_rates"]
    out[PROBLEMS] = keyed_problems(log.problems, tables)
    return out


# Rows per Arrow batch handed back to Spark: its JVM allocates each batch in one buffer.
_BATCH_ROWS = 10_000


def _to_arrow(frames: dict[str, pl.DataFrame], schema: pa.Schema) -> pa.Table:
    """The tables as one Arrow table of struct columns, cast to the declared `schema`.

    In batches of `_BATCH_ROWS` rows: one batch of a big bucket asked the JVM for a single
    buffer of over a gigabyte, past its direct memory.
    """
    parts = [df.select(pl.struct(pl.all()).alias(name)) for name, df in frames.items()]
    return _batched(pl.concat(parts, how="diagonal"), schema)


def _batched(frame: pl.DataFrame, schema: pa.Schema) -> pa.Table:
    """`frame` as Arrow of `schema`, in batches of `_BATCH_ROWS` rows for Spark's JVM."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(schema)
    return pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), schema)


def _unpacked(batch: pa.Table, tables: tuple[str, ...]) -> Tables:
    """The struct columns of `batch` back as one polars frame per table."""
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)
    return {t: frame.filter(pl.col(t).is_not_null()).select(t).unnest(t) for t in tables}


def _derive_bucket(batch: pa.Table) -> pa.Table:
    """One bucket of companies, derived in an executor (the function `applyInArrow` runs)."""
    return _to_arrow(derive_keyed(_unpacked(batch, COMPANY_TABLES)), _output_schema())


def _derive_all_investors(batch: pa.Table) -> pa.Table:
    """Every investor with its ultimate parent; the chains cross companies."""
    investors = pl.from_arrow(batch.drop_columns([_BUCKET]))
    assert isinstance(investors, pl.DataFrame)
    derived = released_columns({"investors": derive_investors(investors)})["investors"]
    return _batched(derived, pa.schema(_nullable("investors")))


def _first_company(frame: DataFrame, key: Column, name: str) -> DataFrame:
    """(key → company) with one company per key: a duplicated key is its own error."""
    from pyspark.sql import functions as sf

    return frame.groupBy(key.alias(name)).agg(sf.min("company_id").alias(_COMPANY))


def _with_company(typed: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """Each company table with the company its rows belong to (null when none is known)."""
    from pyspark.sql import functions as sf

    out = {t: typed[t].withColumn(_COMPANY, sf.col("company_id")) for t in COMPANY_TABLES[:4]}
    of_round = _first_company(typed["rounds"], sf.col("round_id"), "round_id")
    out["round_investors"] = typed["round_investors"].join(of_round, "round_id", "left")
    facts = None
    for table in ts.fact_tables():
        source = out["round_investors"] if table == "round_investors" else typed[table]
        part = source.select(
            sf.lit(table).alias("fact_table"),
            sf.expr(fact_key_sql(table)).alias("fact_id"),
            sf.col(_COMPANY if table == "round_investors" else "company_id").alias("company_id"),
        )
        facts = part if facts is None else facts.unionByName(part)
    assert facts is not None
    of_fact = facts.groupBy("fact_table", "fact_id").agg(sf.min("company_id").alias(_COMPANY))
    out["reports"] = typed["reports"].join(of_fact, ["fact_table", "fact_id"], "left")
    return out


def _column_of(buckets: DataFrame, table: str) -> DataFrame:
    """One table's rows out of the buckets' struct columns."""
    from pyspark.sql import functions as sf

    return buckets.where(sf.col(table).isNotNull()).select(f"{table}.*")


def bucket_count(spark: SparkSession, companies: DataFrame, per_bucket: int) -> int:
    """How many buckets: one per `per_bucket` companies, and at least one per shuffle partition.

    A bucket is derived in one Python call holding its tables, so its size bounds an
    executor's memory; more buckets than that only add calls. Counting the companies is
    one query that returns a number.
    """
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    return max(partitions, -(-companies.count() // per_bucket))


def derive(
    spark: SparkSession, typed: dict[str, DataFrame], companies_per_bucket: int = 5000
) -> tuple[dict[str, DataFrame], DataFrame]:
    """Every released table on Spark, and the derivation's problems as failures.

    `typed` holds every curated table with its Table Schema types (`spark_checks.typed`).
    Returns the released tables (the curated ones passed through where nothing is derived)
    and the problems: (table, key, column, rule, value, severity). Every table is
    checkpointed on the executors, so the many rules that read them derive nothing again
    and parse no CSV again.
    """
    from pyspark.sql import functions as sf
    from pyspark.sql.pandas.types import from_arrow_schema

    n = bucket_count(spark, typed["companies"], companies_per_bucket)
    parts = []
    for table, frame in _with_company(typed).items():
        cols = [c for c in frame.columns if c != _COMPANY]
        parts.append(
            frame.select(
                sf.pmod(sf.hash(_COMPANY), sf.lit(n)).alias(_BUCKET),
                sf.struct(*cols).alias(table),
            )
        )
    grouped = parts[0]
    for part in parts[1:]:
        grouped = grouped.unionByName(part, allowMissingColumns=True)
    schema = _output_schema()
    buckets_out = (
        grouped.groupBy(_BUCKET).applyInArrow(_derive_bucket, from_arrow_schema(schema)).persist()
    )
    tables = {t: _column_of(buckets_out, t) for t in (*BUCKET_TABLES, "fx_rates", PROBLEMS)}
    tables["fx_rates"] = tables["fx_rates"].distinct()
    tables["investors"] = (
        typed["investors"]
        .withColumn(_BUCKET, sf.lit(0))
        .groupBy(_BUCKET)
        .applyInArrow(_derive_all_investors, from_arrow_schema(pa.schema(_nullable("investors"))))
    )
    for table in ts.curated_tables():
        tables.setdefault(table, typed[table])
    # Each table on its own, checkpointed: a hundred rules read them, and reading one table
    # out of the buckets' struct columns scans every table's rows.
    tables = {t: df.localCheckpoint() for t, df in tables.items()}
    buckets_out.unpersist()
    problems = tables.pop(PROBLEMS)
    return {t: tables[t] for t in ts.table_names()}, problems
