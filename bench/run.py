"""Benchmark the validator, the build and the loader.

Usage: `python bench/run.py [--sizes 10000 100000] [--repeat 3]`.

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

from snippets import SNIPPETS  # noqa: E402  (bench/ is the script's folder)

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
        # The stages reset the kernel's high-water mark as they start, so the process's own
        # VmHWM holds only the last stage's peak: the run's peak is the largest stage peak.
        stage_peaks = [max(p[k] for p in phases) for k in phases[0] if k.endswith("_peak_mib")]
        out["peak_mib"] = round(max([out["peak_mib"], *stage_peaks]), 1)
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
            # Saved after each size, so a measurement that fails late keeps the earlier ones.
            (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
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
    """Seconds of the fastest engine among `names`.

    None for results taken before those engines were measured.
    """
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
                    f"{int(n):,} rounds: full validation ≤ 2× the fastest vectorised check "
                    "of every table's schema rules",
                    f"{full['seconds'] / every:.1f}×",
                    full["seconds"] <= 2 * every,
                )
            )
        out.append(
            (
                f"{int(n):,} rounds: full validation vs the fastest vectorised subset "
                "(rounds + one foreign key)",
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
                        f"{int(n):,} rounds: {what} subset vs the fastest vectorised subset "
                        "(same rules)",
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
        f"Measured on {m['cpus']} CPUs, {m['processor']}, {m.get('memory_gib', '?')} GiB RAM, "
        f"{m['platform']}, Python {m['python']}; "
        f"cold process per run (imports included), median of {res['repeat']}.",
        "",
        "Subset: the rounds table's schema rules and its foreign key to companies. "
        "All tables: every Table Schema rule of every curated table (bench/vectorised.py). "
        "The full validation also derives and checks reports, which neither bound does.",
        "",
        "| rounds | measurement | seconds | × fastest subset | × fastest all-tables | peak MiB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for n, row in res["sizes"].items():
        subset, every = _fastest(row, SUBSET), _fastest(row, ALL_TABLES)
        for name, v in row.items():
            vs_every = f"{v['seconds'] / every:.1f}" if every else ""
            lines.append(
                f"| {int(n):,} | {name} | {v['seconds']} | {v['seconds'] / subset:.1f} "
                f"| {vs_every} | {v['peak_mib']} |"
            )
    lines += [
        "",
        "Where the full validation's time goes (seconds, in-process):",
        "",
        "| rounds | import | read CSVs | derive (FX, parse reports, checks) "
        "| rules (Pandera, polars backend) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, row in res["sizes"].items():
        ph = row["project_full_validation"].get("phases", {})
        lines.append(
            f"| {int(n):,} | "
            + " | ".join(str(ph.get(k, "")) for k in ("import", "read", "derive", "rules"))
            + " |"
        )
    lines += [
        "",
        "And its memory: the peak resident MiB of each stage on its own (the kernel's high-water"
        " mark, reset as each stage starts; the peak of the whole run is the largest of them),"
        " and the MiB the tables hold once read and once derived (their Arrow buffers; polars'"
        " own estimate leaves out most of the 16 bytes each string cell's view takes).",
        "",
        "| rounds | read CSVs | derive | rules | curated tables held | released tables held |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n, row in res["sizes"].items():
        ph = row["project_full_validation"].get("phases", {})
        cells = [f"{k}_peak_mib" for k in ("read", "derive", "rules")]
        cells += ["read_held_mib", "derive_held_mib"]
        lines.append(f"| {int(n):,} | " + " | ".join(str(ph.get(k, "")) for k in cells) + " |")
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
