"""The whole catalogue on Spark, for tables bigger than one machine.

Pandera's PySpark backend imports `pyspark.pandas`, which does not import next to pandas 3
(this project's pin), so the Table Schemas' column rules are generated here as Spark SQL
from the same Table Schemas the Pandera schemas come from: types, required, enum, pattern,
bounds, lengths, ISO code lists, unique columns, primary keys, foreign keys and how far
after the day of the run a date may lie (`x-maxDaysAfterBuild`). One pass per table: every
check becomes a struct in an array, and only the failing ones are exploded into rows.

The cross-field and cross-table rules are the build's own definitions: every rule of the
catalogue is written on Narwhals (`build.rules.portable`) and runs here as written, the
foreign keys excepted, which are the SQL above. A few of them (look-alike and mixed-script
names, hosts an address leads to) call a Python function of this package as a UDF, so the
executors' Python must import `ai_lab_funding` (install it there, as for any PySpark
library; for a local session, set PYSPARK_PYTHON to this Python). Curated input is
derived first, by the build's own polars derivation run in the executors on buckets of
whole companies (`spark_derive`), so the rules on derived columns run too.

Works on the curated CSVs (every column a string, so types are checked too) and on the
typed Parquet release. Each failure carries the rule's severity, as the build's problems
do: an error stops a release, a warning does not.

    from pyspark.sql import SparkSession
    from ai_lab_funding.build import spark_checks
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.master("local[*]").getOrCreate()
    failures = spark_checks.validate(spark, spark_checks.read_curated(spark, "curated"))
    failures.show()   # table, key, column, rule, value, severity
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..schemas import tables as ts
from ..schemas import types
from ..schemas.codelists import codes

if TYPE_CHECKING:  # pyspark is an optional extra: pip install 'ai-lab-funding[spark]'
    from pyspark.sql import Column, DataFrame, SparkSession


_FAILURE_SCHEMA = (
    "`table` string, key string, `column` string, rule string, value string, severity string"
)


@dataclass(frozen=True)
class SqlCheck:
    """One rule on one column: `bad` is a Spark SQL boolean, true where a row breaks it."""

    column: str
    rule: str
    bad: str


def _lit(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _col(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _typed(f: dict[str, Any], string_input: bool) -> str:
    """The column as its Table Schema type: parsed from text for CSV input, as-is for Parquet."""
    c = _col(f["name"])
    if not string_input or f["type"] == "string":
        return c
    if f["type"] == "date":
        return f"try_to_date({c}, 'yyyy-MM-dd')"
    if f["type"] == "boolean":
        return f"(CASE {c} WHEN 'true' THEN true WHEN 'false' THEN false END)"
    return f"try_cast({c} AS {types.TYPES[f['type']].spark})"


def _in_list(c: str, values: list[str]) -> str:
    return f"{c} IS NOT NULL AND {c} NOT IN ({', '.join(_lit(v) for v in values)})"


def _type_checks(f: dict[str, Any], string_input: bool) -> list[SqlCheck]:
    """For text input: cells that do not spell a value of the field's type."""
    name, c, kind = f["name"], _col(f["name"]), f["type"]
    out: list[SqlCheck] = []
    if not string_input:
        return out
    if types.pattern(kind):
        out.append(
            SqlCheck(
                name, "type", f"{c} IS NOT NULL AND NOT ({c} RLIKE {_lit(types.pattern(kind))})"
            )
        )
    if kind in ("date", "boolean"):
        # A date shaped right that is no calendar day (2023-02-30), or a boolean not true/false.
        shaped = f" AND {c} RLIKE {_lit(types.pattern('date'))}" if kind == "date" else ""
        out.append(
            SqlCheck(name, "type", f"{c} IS NOT NULL AND {_typed(f, string_input)} IS NULL{shaped}")
        )
    return out


# Bound constraints: (constraint, the comparison that breaks it, the rule it is reported as).
_BOUNDS = (
    ("minimum", "<", "minimum"),
    ("exclusiveMinimum", "<=", "minimum"),
    ("maximum", ">", "maximum"),
    ("exclusiveMaximum", ">=", "maximum"),
)


def _value_checks(f: dict[str, Any], string_input: bool) -> list[SqlCheck]:
    """Allowed values, pattern, code list, bounds, lengths and uniqueness of one field."""
    name, c, k = f["name"], _col(f["name"]), ts.constraints(f)
    out: list[SqlCheck] = []
    if "enum" in k:
        out.append(SqlCheck(name, "enum", _in_list(c, [str(e) for e in k["enum"]])))
    if "pattern" in k:
        out.append(
            SqlCheck(name, "pattern", f"{c} IS NOT NULL AND NOT ({c} RLIKE {_lit(k['pattern'])})")
        )
    if "x-codelist" in f:
        out.append(SqlCheck(name, "codelist", _in_list(c, sorted(codes(f["x-codelist"])))))
    v = _typed(f, string_input)
    out += [
        SqlCheck(name, rule, f"{v} {op} {_lit(k[key])}") for key, op, rule in _BOUNDS if key in k
    ]
    if "minLength" in k:
        out.append(SqlCheck(name, "minLength", f"length({c}) < {k['minLength']}"))
    if "maxLength" in k:
        out.append(SqlCheck(name, "maxLength", f"length({c}) > {k['maxLength']}"))
    if k.get("unique"):
        out.append(
            SqlCheck(name, "unique", f"{c} IS NOT NULL AND count(1) OVER (PARTITION BY {c}) > 1")
        )
    return out


def _horizon_checks(f: dict[str, Any], string_input: bool) -> list[SqlCheck]:
    """A date further after the day of the run than the field's `x-maxDaysAfterBuild`."""
    if "x-maxDaysAfterBuild" not in f:
        return []
    days = int(f["x-maxDaysAfterBuild"])
    late = f"{_typed(f, string_input)} > date_add(current_date(), {days})"
    return [SqlCheck(f["name"], "future_date", late)]


def field_checks(f: dict[str, Any], string_input: bool = True) -> list[SqlCheck]:
    """Every constraint of one Table Schema field, as SQL over its table."""
    c = _col(f["name"])
    required = (
        [SqlCheck(f["name"], "required", f"{c} IS NULL")]
        if ts.constraints(f).get("required")
        else []
    )
    checks = _type_checks(f, string_input) + _value_checks(f, string_input)
    return required + checks + _horizon_checks(f, string_input)


def _foreign_key_join(j: int, cols: list[str], target: str, ref_cols: list[str]) -> str:
    """LEFT JOIN of the distinct keys of `target`: k0 is null where a row's key has no match.

    Every column of a composite key is joined; matching on its first column alone would
    pass a report whose fact_id exists, but in another fact table.
    """
    keys = ", ".join(f"{_col(r)} AS k{i}" for i, r in enumerate(ref_cols))
    on = " AND ".join(f"t.{_col(c)} = fk{j}.k{i}" for i, c in enumerate(cols))
    return f"LEFT JOIN (SELECT DISTINCT {keys} FROM {target}) fk{j} ON {on}"


def table_query(
    table: str, views: dict[str, str], columns: dict[str, str], curated: bool = True
) -> str:
    """One SELECT over `views[table]` returning a row per failed check.

    `columns` maps each present column to its Spark type name ("string", "date", ...), so
    text input is type-checked and typed input is used as it is.
    """
    flds = [
        f
        for f in (ts.curated_fields(table) if curated else ts.fields(table))
        if f["name"] in columns
    ]
    checks: list[SqlCheck] = []
    for f in flds:
        checks += field_checks(f, string_input=columns[f["name"]] == "string")
    pk = ts.primary_key(table)
    key = " || ' + ' || ".join(f"coalesce(CAST(t.{_col(p)} AS STRING), '')" for p in pk) or "''"
    # A one-column key that is also `unique` is already reported by that column's check.
    if pk and not (len(pk) == 1 and ts.constraints(ts.field(table, pk[0])).get("unique")):
        present = " AND ".join(f"{_col(p)} IS NOT NULL" for p in pk)
        checks.append(
            SqlCheck(
                "+".join(pk),
                "duplicate_key",
                f"{present} AND count(1) OVER (PARTITION BY {', '.join(map(_col, pk))}) > 1",
            )
        )
    # Window conditions are computed in an inner SELECT; the joins for foreign keys come after.
    inner = [f"coalesce({ch.bad}, false) AS __bad{i}" for i, ch in enumerate(checks)]
    joins, structs = [], []
    for i, ch in enumerate(checks):
        value = key if ch.rule == "duplicate_key" else f"CAST(t.{_col(ch.column)} AS STRING)"
        structs.append(
            f"named_struct('column', {_lit(ch.column)}, 'rule', {_lit(ch.rule)}, "
            f"'value', {value}, 'bad', t.__bad{i})"
        )
    for j, (cols, ref, ref_cols) in enumerate(ts.references(table)):
        target = views.get(ref)
        if target is None or not all(c in columns for c in cols):
            continue
        joins.append(_foreign_key_join(j, cols, target, ref_cols))
        # A composite key is reported on its last column, as the polars rules do.
        present = " AND ".join(f"t.{_col(c)} IS NOT NULL" for c in cols)
        structs.append(
            f"named_struct('column', {_lit(cols[-1])}, 'rule', 'foreign_key', "
            f"'value', CAST(t.{_col(cols[-1])} AS STRING), "
            f"'bad', {present} AND fk{j}.k0 IS NULL)"
        )
    failed = f"filter(array({', '.join(structs)}), x -> x.bad)"
    return (
        f"SELECT {_lit(table)} AS `table`, key, c.column AS `column`, c.rule AS rule, "
        f"c.value AS value FROM (SELECT {key} AS key, explode({failed}) AS c "
        f"FROM (SELECT *, {', '.join(inner) or 'false AS __none'} FROM {views[table]}) t "
        f"{' '.join(joins)})"
    )


def _under(folder: str | Path, *parts: str) -> str:
    """`parts` under `folder` as Spark reads it: a local path or a URI, kept as written.

    pathlib would fold the `//` of `hdfs://` or `s3a://`.
    """
    return "/".join([str(folder).rstrip("/"), *parts])


def read_curated(spark: SparkSession, folder: str | Path) -> dict[str, DataFrame]:
    """The curated CSVs of `folder` as Spark DataFrames of strings (empty cell = null).

    `folder` is anything Spark reads: a local folder, `hdfs://...`, `s3a://bucket/curated`.
    """
    return {
        t: spark.read.csv(
            _under(folder, f"{t}.csv"), header=True, inferSchema=False, escape='"', encoding="UTF-8"
        )
        for t in ts.curated_tables()
    }


def read_release(spark: SparkSession, folder: str | Path) -> dict[str, DataFrame]:
    """The Parquet release of `folder` (the one holding datapackage.json) as typed DataFrames.

    `folder` is anything Spark reads, as for `read_curated`.
    """
    return {t: spark.read.parquet(_under(folder, "data", f"{t}.parquet")) for t in ts.table_names()}


def missing_columns(frames: dict[str, DataFrame], curated: bool = True) -> list[tuple[str, str]]:
    """(table, column) pairs the schemas require but a DataFrame lacks."""
    out = []
    for table, df in frames.items():
        have = set(df.columns)
        out += [
            (table, f["name"])
            for f in (ts.curated_fields(table) if curated else ts.fields(table))
            if f["name"] not in have
        ]
    return out


def _facts_sql(views: dict[str, str]) -> str:
    """The keys of the `facts` registry, from the fact tables themselves."""
    return " UNION ALL ".join(
        f"SELECT {_lit(t)} AS fact_table, {fact_key_sql(t)} AS fact_id FROM {views[t]}"
        for t in ts.fact_tables()
    )


def fact_key_sql(table: str) -> str:
    """A fact table's key as reports name it (a ticket's is made of two columns)."""
    parts = ts.fact_key_parts(table)
    if parts is None:
        return _col(ts.fact_key(table))
    cols, sep = parts
    return f"concat_ws({_lit(sep)}, {', '.join(_col(c) for c in cols)})"


def validate(spark: SparkSession, frames: dict[str, DataFrame], curated: bool = True) -> DataFrame:
    """Every failed check of every table: (table, key, column, rule, value, severity).

    The schemas' column rules (errors) and, when every curated table is there, the
    derivation's problems and the portable catalogue rules on the derived tables
    (`catalogue_failures`), each with its own severity. No row is collected to the
    driver: write the result where it is needed (`failures.write.parquet(...)`) or count
    it, e.g. `failures.where("severity = 'error'").count()`. Deriving curated input runs
    jobs here already: a count or two, and the derived tables checkpointed on the executors.

    `curated=False` checks a release, derived columns included. Missing columns are
    reported as rule `missing_column` rather than failing the query.
    """
    views = {}
    for table, df in frames.items():
        views[table] = f"alf_{table}"
        df.createOrReplaceTempView(views[table])
    if "facts" not in views and all(t in views for t in ts.fact_tables()):
        # Curated input has no `facts` yet: its keys come from the fact tables, as the build's.
        spark.sql(_facts_sql(views)).createOrReplaceTempView("alf_facts")
        views["facts"] = "alf_facts"
    queries = [
        table_query(t, views, {f.name: f.dataType.typeName() for f in df.schema.fields}, curated)
        for t, df in frames.items()
    ]
    result = spark.sql(
        " UNION ALL ".join(f"(SELECT *, 'error' AS severity FROM ({q}))" for q in queries)
    )
    missing = missing_columns(frames, curated)
    if all(t in frames for t in ts.curated_tables()):
        # The build derives nothing from a file with an unreadable cell: neither does this.
        # Telling costs one query that returns a count, not data.
        derive = curated and not missing
        derive = derive and result.where("rule = 'type'").limit(1).count() == 0
        result = result.unionByName(catalogue_failures(spark, frames, curated, derive))
    if missing:
        result = result.unionByName(
            spark.createDataFrame(
                [(t, "", c, "missing_column", None, "error") for t, c in missing], _FAILURE_SCHEMA
            )
        )
    return result


def catalogue_failures(
    spark: SparkSession, frames: dict[str, DataFrame], curated: bool = True, derive: bool = True
) -> DataFrame:
    """The derivation's problems and the catalogue's rules on the tables it derives.

    As the build does: curated input is derived first (`spark_derive`) and the rules read
    the derived columns (claim sums, report checks); a release already holds them.
    `derive=False` runs the rules on the curated columns as they are, as the build does
    when a cell cannot be read. Needs every curated table, as the rules read across them.
    """
    from . import spark_derive

    if curated and derive:
        typed_frames = {t: typed(df, t) for t, df in frames.items()}
        derived, problems = spark_derive.derive(spark, typed_frames)
        rules = rule_failures(spark, derived, curated=False)
        return problems if rules is None else problems.unionByName(rules)
    rules = rule_failures(spark, frames, curated)
    return spark.createDataFrame([], _FAILURE_SCHEMA) if rules is None else rules


def typed(df: DataFrame, table: str, curated: bool = True) -> DataFrame:
    """`df` with every schema column as its Table Schema type; unreadable cells become null.

    The column checks above report those cells; the portable rules then read a gap there,
    as the build's rules read the gap its reader leaves.
    """
    have = {f.name: f.dataType.typeName() for f in df.schema.fields}
    flds = ts.curated_fields(table) if curated else ts.fields(table)
    return df.selectExpr(
        *(
            f"{_typed(f, have[f['name']] == 'string')} AS {_col(f['name'])}"
            for f in flds
            if f["name"] in have
        )
    )


def _key(table: str) -> Column:
    """The primary key as one text, as `table_query` writes it."""
    from pyspark.sql import functions as sf

    parts = [sf.coalesce(sf.col(p).cast("string"), sf.lit("")) for p in ts.primary_key(table)]
    return sf.concat_ws(" + ", *parts) if parts else sf.lit("")


def rule_failures(
    spark: SparkSession, frames: dict[str, DataFrame], curated: bool = True
) -> DataFrame | None:
    """Every portable catalogue rule (`build.rules.portable`) run on Spark, as failures.

    The same Narwhals definitions the build runs on polars; nothing is collected. Needs
    every curated table, as the build's rules do (they read across tables); None without.
    """
    import narwhals as nw
    from pyspark.sql import functions as sf

    from .rules.catalogue import catalogue

    if not all(t in frames for t in ts.curated_tables()):
        return None
    tables = {t: nw.from_native(typed(df, t, curated)) for t, df in frames.items()}
    parts = []
    for rule in catalogue():
        if rule.portable is None or rule.table not in tables:
            continue
        rows = rule.portable(tables[rule.table], tables).to_native()
        value = sf.col(rule.column) if rule.column in rows.columns else sf.lit(None)
        parts.append(
            rows.select(
                sf.lit(rule.table).alias("table"),
                _key(rule.table).alias("key"),
                sf.lit(rule.column).alias("column"),
                sf.lit(rule.name).alias("rule"),
                value.cast("string").alias("value"),
                sf.lit(rule.severity).alias("severity"),
            )
        )
    return reduce(lambda a, b: a.unionByName(b), parts) if parts else None


def main(argv: list[str] | None = None) -> int:
    """`spark-submit spark_checks.py TABLES --out FAILURES`: validate on a cluster.

    TABLES is a curated folder (or, with --release, a release folder) anywhere Spark reads;
    the failures are written as Parquet to --out, and the exit status is 1 when any is an
    error (warnings are written and counted, as the build prints them, but pass).
    """
    import argparse

    from pyspark.sql import SparkSession

    p = argparse.ArgumentParser(description="Validate ai-lab-funding tables on Spark.")
    p.add_argument("tables", help="curated folder, or release folder with --release (any URI)")
    p.add_argument("--out", required=True, help="where to write the failures (Parquet)")
    p.add_argument("--release", action="store_true", help="TABLES is a Parquet release")
    args = p.parse_args(argv)
    spark = SparkSession.builder.appName("ai-lab-funding-validate").getOrCreate()
    read = read_release if args.release else read_curated
    failures = validate(spark, read(spark, args.tables), curated=not args.release)
    failures.write.mode("overwrite").parquet(args.out)
    written = spark.read.parquet(args.out)
    errors = written.where("severity = 'error'").count()
    print(f"{errors} error(s), {written.count() - errors} warning(s) written to {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
