"""What the benchmark measures: each snippet is Python run in its own cold interpreter.

`run.py` formats a snippet with the paths of one size's data (`{curated}`, `{release}`, ...)
and times it with its harness; `{{` and `}}` are literal braces.
"""

# Each snippet runs in a fresh interpreter; it prints nothing, the harness times it.
SNIPPETS = {
    "project_full_validation": """
import json, time
from pathlib import Path
t0 = time.perf_counter()
from ai_lab_funding.build.validation import validate_curated
phases = {{"import": time.perf_counter() - t0}}
tables, problems = validate_curated(Path({curated!r}), phases)
assert tables is not None and not [p for p in problems if p.severity == "error"], problems[:5]
print("PHASES", json.dumps(phases))
""",
    # The same Table Schema rules (types, constraints, keys, foreign keys) on a local Spark session.
    "spark_checks": """
import os, sys
from pyspark.sql import SparkSession
from ai_lab_funding.build import spark_checks
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run the rules' UDFs
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "2g")
         .config("spark.ui.showConsoleProgress", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
failures = spark_checks.validate(spark, spark_checks.read_curated(spark, {curated!r}))
assert failures.where("severity = 'error'").count() == 0  # warnings (orphans) pass
spark.stop()
""",
    # The same subset in every engine: the rounds table's single-table rules plus its foreign
    # key to companies.
    "pandera_subset": """
import pandas as pd
from ai_lab_funding.build.curated import read_curated
from ai_lab_funding.build.rules.columns import table_schema
from pathlib import Path
rounds, _ = read_curated(Path({curated!r}) / "rounds.csv", "rounds")
companies = pd.read_csv(Path({curated!r}) / "companies.csv", dtype=str)
table_schema("rounds", curated=True).validate(rounds, lazy=True)
assert rounds["company_id"].isin(companies["company_id"]).all()
""",
    # The same subset on Pandera's polars backend, which the project's build validates with.
    "pandera_polars_subset": """
import polars as pl
from ai_lab_funding.build.curated import read_curated
from ai_lab_funding.build.rules.columns import table_schema
from ai_lab_funding.build.frames import to_polars
from pathlib import Path
rounds, _ = read_curated(Path({curated!r}) / "rounds.csv", "rounds")
rounds = to_polars(rounds)
companies = pl.read_csv(Path({curated!r}) / "companies.csv", infer_schema=False)
table_schema("rounds", curated=True, engine="polars").validate(rounds, lazy=True)
assert rounds.join(companies, on="company_id", how="anti").height == 0
""",
    "polars_subset": """
import polars as pl, json
s = json.load(open({schema!r}))
r = pl.read_csv({curated!r} + "/rounds.csv", infer_schema=False)
c = pl.read_csv({curated!r} + "/companies.csv", infer_schema=False)
exprs = []
for f in s["fields"]:
    if f.get("x-derived"): continue
    col, k = pl.col(f["name"]), f.get("constraints", {{}})
    if f["type"] == "number": col = col.cast(pl.Float64, strict=False)
    if f["type"] == "date": col = col.str.to_date("%Y-%m-%d", strict=False)
    bad = pl.lit(False)
    if k.get("required"): bad = bad | col.is_null()
    if "enum" in k: bad = bad | (col.is_not_null() & ~col.is_in(k["enum"]))
    if "pattern" in k: bad = bad | (col.is_not_null() & ~col.str.contains(k["pattern"]))
    if "exclusiveMinimum" in k: bad = bad | (col <= k["exclusiveMinimum"])
    exprs.append(bad.sum().alias(f["name"]))
res = r.select(exprs)
dup = r["round_id"].is_duplicated().sum()
fk = r.join(c, on="company_id", how="anti").height
assert sum(res.row(0)) == 0 and dup == 0 and fk == 0
""",
    "duckdb_subset": """
import duckdb, json
s = json.load(open({schema!r}))
con = duckdb.connect()
for view, table in (("r", "rounds"), ("c", "companies")):
    path = ({curated!r} + "/" + table + ".csv").replace("'", "''")
    con.execute(f"CREATE VIEW {{view}} AS SELECT * FROM read_csv('{{path}}', all_varchar=true)")
conds = []
for f in s["fields"]:
    if f.get("x-derived"): continue
    n, k = '"' + f["name"] + '"', f.get("constraints", {{}})
    v = f"TRY_CAST({{n}} AS DOUBLE)" if f["type"] == "number" else n
    if k.get("required"): conds.append(f"{{n}} IS NULL")
    if "enum" in k:
        conds.append(f"({{n}} IS NOT NULL AND {{n}} NOT IN "
                     f"({{', '.join(repr(str(e)) for e in k['enum'])}}))")
    if "pattern" in k:
        conds.append(f"({{n}} IS NOT NULL AND NOT regexp_matches({{n}}, '{{k['pattern']}}'))")
    if "exclusiveMinimum" in k: conds.append(f"({{v}} <= {{k['exclusiveMinimum']}})")
bad = con.execute("SELECT count(*) FROM r WHERE " + " OR ".join(conds)).fetchone()[0]
dup = con.execute("SELECT count(*) - count(DISTINCT round_id) FROM r").fetchone()[0]
fk = con.execute("SELECT count(*) FROM r ANTI JOIN c USING (company_id)").fetchone()[0]
assert bad == 0 and dup == 0 and fk == 0
""",
    "pyarrow_subset": """
import json, pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pv
s = json.load(open({schema!r}))
names = [f["name"] for f in s["fields"] if not f.get("x-derived")]
r = pv.read_csv({curated!r} + "/rounds.csv", convert_options=pv.ConvertOptions(
    column_types={{n: pa.string() for n in names}}, strings_can_be_null=True))
c = pv.read_csv({curated!r} + "/companies.csv",
                convert_options=pv.ConvertOptions(strings_can_be_null=True))
bad = 0
for f in s["fields"]:
    if f.get("x-derived"): continue
    col, k = r[f["name"]], f.get("constraints", {{}})
    if k.get("required"): bad += col.null_count
    if "enum" in k:
        bad += pc.sum(pc.invert(pc.is_in(col, value_set=pa.array(k["enum"])))).as_py() or 0
    if "pattern" in k:
        bad += pc.sum(pc.invert(pc.match_substring_regex(col, k["pattern"]))).as_py() or 0
    if "exclusiveMinimum" in k:
        bad += pc.sum(pc.less_equal(pc.cast(col, pa.float64()),
                                    k["exclusiveMinimum"])).as_py() or 0
dup = len(r) - len(pc.unique(r["round_id"]))
fk = pc.sum(pc.invert(pc.is_in(r["company_id"], value_set=c["company_id"]))).as_py() or 0
assert bad == 0 and dup == 0 and fk == 0
""",
    # Every Table Schema rule of every curated table (bench/vectorised.py): the lower bound at
    # the full validation's scope.
    **{
        f"{engine}_all_tables": f"""
import sys
sys.path.insert(0, {{bench!r}})
from pathlib import Path
from vectorised import {engine}_failures
assert {engine}_failures(Path({{curated!r}})) == 0
"""
        for engine in ("polars", "duckdb", "pyarrow")
    },
    "frictionless_csv_release": """
import subprocess, sys
res = subprocess.run(
    [sys.executable, "-m", "frictionless", "validate", {release!r} + "/datapackage.json"],
    capture_output=True,
)
assert res.returncode == 0, res.stdout[-500:]
""",
    "build_real_release_cold": """
import subprocess, sys
subprocess.run(
    [sys.executable, {build!r}, "--out", {out!r}, "--no-docs"], check=True, capture_output=True
)
""",
    "load_rounds_cold": """
import ai_lab_funding as alf
alf.load("rounds")
""",
    "read_parquet_cold": """
import pandas as pd
pd.read_parquet({parquet!r})
""",
}
