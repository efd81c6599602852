"""Benchmark the validator, the build and the loader: `python bench/run.py [--sizes 10000 100000] [--repeat 3]`.

Every measurement runs in its own cold process (imports included) and reports the median
of --repeat runs and the peak resident memory of that process. Results go to
bench/results.json and bench/results.md; the README quotes the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

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
from pyspark.sql import SparkSession
from ai_lab_funding.build import spark_checks
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
assert spark_checks.validate(spark, spark_checks.read_curated(spark, {curated!r})).count() == 0
spark.stop()
""",
    # The same subset in every engine: the rounds table's single-table rules plus its foreign key to companies.
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
    if "enum" in k: conds.append(f"({{n}} IS NOT NULL AND {{n}} NOT IN ({{', '.join(repr(str(e)) for e in k['enum'])}}))")
    if "pattern" in k: conds.append(f"({{n}} IS NOT NULL AND NOT regexp_matches({{n}}, '{{k['pattern']}}'))")
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
r = pv.read_csv({curated!r} + "/rounds.csv", convert_options=pv.ConvertOptions(column_types={{n: pa.string() for n in names}}, strings_can_be_null=True))
c = pv.read_csv({curated!r} + "/companies.csv", convert_options=pv.ConvertOptions(strings_can_be_null=True))
bad = 0
for f in s["fields"]:
    if f.get("x-derived"): continue
    col, k = r[f["name"]], f.get("constraints", {{}})
    if k.get("required"): bad += col.null_count
    if "enum" in k: bad += pc.sum(pc.invert(pc.is_in(col, value_set=pa.array(k["enum"])))).as_py() or 0
    if "pattern" in k: bad += pc.sum(pc.invert(pc.match_substring_regex(col, k["pattern"]))).as_py() or 0
    if "exclusiveMinimum" in k: bad += pc.sum(pc.less_equal(pc.cast(col, pa.float64()), k["exclusiveMinimum"])).as_py() or 0
dup = len(r) - len(pc.unique(r["round_id"]))
fk = pc.sum(pc.invert(pc.is_in(r["company_id"], value_set=c["company_id"]))).as_py() or 0
assert bad == 0 and dup == 0 and fk == 0
""",
    # Every Table Schema rule of every curated table (bench/vectorised.py): the lower bound at the full validation's scope.
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
res = subprocess.run([sys.executable, "-m", "frictionless", "validate", {release!r} + "/datapackage.json"], capture_output=True)
assert res.returncode == 0, res.stdout[-500:]
""",
    "build_real_release_cold": """
import subprocess, sys
subprocess.run([sys.executable, {build!r}, "--out", {out!r}, "--no-docs"], check=True, capture_output=True)
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

SUBSET = ("polars_subset", "duckdb_subset", "pyarrow_subset")
ALL_TABLES = ("polars_all_tables", "duckdb_all_tables", "pyarrow_all_tables")

# Peak memory: VmHWM of this process (ru_maxrss would carry over the runner's own peak across
# exec on Linux) and, for commands run as children, their ru_maxrss.
HARNESS = """
import resource, time, sys
t = time.perf_counter()
exec(compile(sys.argv[1], "<bench>", "exec"), {{}})
elapsed = time.perf_counter() - t
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(elapsed, max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""


def measure(name: str, repeat: int, **fmt: str) -> dict:
    """Median wall time of a cold process (interpreter start included) and its peak RSS."""
    code = SNIPPETS[name].format(**fmt)
    times, peaks, phases = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        res = subprocess.run(
            [PY, "-c", HARNESS.format(), code], capture_output=True, text=True, cwd=ROOT
        )
        wall = time.perf_counter() - t
        if res.returncode != 0:
            raise RuntimeError(f"{name} failed: {res.stderr[-1500:]}")
        peaks.append(int(res.stdout.split()[-1]) / 1024)
        times.append(wall)
        phases += [
            json.loads(line.split(" ", 1)[1])
            for line in res.stdout.splitlines()
            if line.startswith("PHASES ")
        ]
    out = {
        "seconds": round(statistics.median(times), 3),
        "runs": [round(x, 3) for x in times],
        "peak_mib": round(max(peaks), 1),
    }
    if phases:  # where the time of the median run went, in-process
        out["phases"] = {k: round(statistics.median(p[k] for p in phases), 3) for k in phases[0]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--frictionless-max",
        type=int,
        default=100_000,
        help="largest size to run Frictionless on (it is row by row)",
    )
    ap.add_argument(
        "--spark-max",
        type=int,
        default=100_000,
        help="largest size to run the Spark checks on (0: never)",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import generate

    results = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "memory_gib": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
            ),
        },
        "repeat": args.repeat,
        "sizes": {},
    }
    schema = str(ROOT / "schemas" / "rounds.json")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            curated = Path(tmp) / f"curated-{n}"
            generate(n, curated)
            row: dict[str, dict] = {}
            for name in (
                "project_full_validation",
                "pandera_subset",
                "pandera_polars_subset",
                "polars_subset",
                "duckdb_subset",
                "pyarrow_subset",
                *ALL_TABLES,
            ):
                row[name] = measure(
                    name,
                    args.repeat,
                    curated=str(curated),
                    schema=schema,
                    bench=str(ROOT / "bench"),
                )
                print(n, name, row[name], flush=True)
            if n <= args.frictionless_max:
                release = Path(tmp) / f"release-{n}"
                subprocess.run(
                    [
                        PY,
                        str(ROOT / "build.py"),
                        "--curated",
                        str(curated),
                        "--out",
                        str(release),
                        "--no-docs",
                    ],
                    check=True,
                    capture_output=True,
                )
                row["frictionless_csv_release"] = measure(
                    "frictionless_csv_release", args.repeat, release=str(release)
                )
                print(n, "frictionless", row["frictionless_csv_release"], flush=True)
            if n <= args.spark_max:
                row["spark_checks"] = measure("spark_checks", args.repeat, curated=str(curated))
                print(n, "spark", row["spark_checks"], flush=True)
            results["sizes"][str(n)] = row
        results["real_release"] = {
            "build_cold": measure(
                "build_real_release_cold",
                args.repeat,
                build=str(ROOT / "build.py"),
                out=str(Path(tmp) / "real"),
            ),
            "load_rounds_cold": measure("load_rounds_cold", max(7, args.repeat)),
            "read_parquet_cold": measure(
                "read_parquet_cold",
                max(7, args.repeat),
                parquet=str(ROOT / "data" / "rounds.parquet"),
            ),
        }
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "bench" / "results.md").write_text(markdown(results))
    print(markdown(results))


def _fastest(row: dict, names: tuple[str, ...]) -> float | None:
    """Seconds of the fastest engine among `names` (None for results taken before those were measured)."""
    found = [row[k]["seconds"] for k in names if k in row]
    return min(found) if found else None


def targets(res: dict) -> list[tuple[str, str, bool]]:
    """Each target of the benchmark issue, the measured value and whether it is met."""
    out = []
    for n, row in res["sizes"].items():
        subset, every = _fastest(row, SUBSET), _fastest(row, ALL_TABLES)
        full = row["project_full_validation"]
        if every:
            out.append(
                (
                    f"{int(n):,} rounds: full validation ≤ 2× the fastest vectorised check of every table's schema rules",
                    f"{full['seconds'] / every:.1f}×",
                    full["seconds"] <= 2 * every,
                )
            )
        out.append(
            (
                f"{int(n):,} rounds: full validation vs the fastest vectorised subset (rounds + one foreign key)",
                f"{full['seconds'] / subset:.1f}×",
                full["seconds"] <= 2 * subset,
            )
        )
        for name, what in (
            ("pandera_subset", "Pandera (pandas)"),
            ("pandera_polars_subset", "Pandera (polars)"),
        ):
            if name in row:
                out.append(
                    (
                        f"{int(n):,} rounds: {what} subset vs the fastest vectorised subset (same rules)",
                        f"{row[name]['seconds'] / subset:.1f}×",
                        row[name]["seconds"] <= 2 * subset,
                    )
                )
        if "frictionless_csv_release" in row:
            ratio = row["frictionless_csv_release"]["seconds"] / full["seconds"]
            out.append(
                (
                    f"{int(n):,} rounds: full validation ≥ 50× faster than Frictionless",
                    f"{ratio:.1f}×",
                    ratio >= 50,
                )
            )
        if int(n) >= 1_000_000:
            out.append(
                (
                    f"{int(n):,} rounds: peak memory < 2 GiB",
                    f"{full['peak_mib']:,.0f} MiB",
                    full["peak_mib"] < 2048,
                )
            )
    rr = res["real_release"]
    out.append(
        (
            "real release: cold build.py < 3 s",
            f"{rr['build_cold']['seconds']:.2f} s",
            rr["build_cold"]["seconds"] < 3,
        )
    )
    ratio = rr["load_rounds_cold"]["seconds"] / rr["read_parquet_cold"]["seconds"]
    out.append(("cold load('rounds') ≤ 1.3× pd.read_parquet", f"{ratio:.2f}×", ratio <= 1.3))
    return out


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Measured on {m['cpus']} CPUs, {m['processor']}, {m.get('memory_gib', '?')} GiB RAM, {m['platform']}, Python {m['python']}; "
        f"cold process per run (imports included), median of {res['repeat']}.",
        "",
        "Subset: the rounds table's schema rules and its foreign key to companies. All tables: every Table Schema rule of every "
        "curated table (bench/vectorised.py). The full validation also derives and checks reports, which neither bound does.",
        "",
        "| rounds | measurement | seconds | × fastest subset | × fastest all-tables | peak MiB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n, row in res["sizes"].items():
        subset, every = _fastest(row, SUBSET), _fastest(row, ALL_TABLES)
        for name, v in row.items():
            vs_every = f"{v['seconds'] / every:.1f}" if every else ""
            lines.append(
                f"| {int(n):,} | {name} | {v['seconds']} | {v['seconds'] / subset:.1f} | {vs_every} | {v['peak_mib']} |"
            )
    lines += [
        "",
        "Where the full validation's time goes (seconds, in-process):",
        "",
        "| rounds | import | read CSVs | derive (FX, parse reports, checks) | rules (Pandera, polars backend) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, row in res["sizes"].items():
        ph = row["project_full_validation"].get("phases", {})
        lines.append(
            f"| {int(n):,} | "
            + " | ".join(str(ph.get(k, "")) for k in ("import", "read", "derive", "rules"))
            + " |"
        )
    rr = res["real_release"]
    lines += ["", "| real release | seconds | peak MiB |", "|---|---:|---:|"]
    for name, v in rr.items():
        lines.append(f"| {name} | {v['seconds']} | {v['peak_mib']} |")
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    lines += [
        f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in targets(res)
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
