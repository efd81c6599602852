"""The two figures of the README, drawn from the release with fixed settings: byte-stable.

(1) valuations over time, Moonshot AI against its peers; (2) Moonshot AI's round amounts next
to the reports the dataset rejected as ×10 errors — the picture of why provenance matters.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLE = {
    "text.parse_math": False,
    "svg.hashsalt": "ai-lab-funding",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
FOCUS = "moonshot-ai"


def _save(fig: Figure) -> dict[str, bytes]:
    out = {}
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=150, metadata=meta, bbox_inches="tight")
        out[ext] = buf.getvalue()
    return out


def valuations(tables: dict[str, pd.DataFrame]) -> Figure:
    """Post-money valuation at each round, Moonshot AI against its peers, on a log scale."""
    import matplotlib.pyplot as plt

    r = tables["rounds"].dropna(subset=["post_money_valuation_usd"])
    names = tables["companies"].set_index("company_id")["name"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    companies = sorted(r["company_id"].unique(), key=lambda c: (c != FOCUS, c))
    cmap = plt.get_cmap("tab20")
    for i, cid in enumerate(companies):
        g = r[r["company_id"] == cid].sort_values("announced_on")
        color = "#d62728" if cid == FOCUS else cmap((i * 2 + 1) % 20)
        lw, z = (2.2, 5) if cid == FOCUS else (0.9, 2)
        done = g[g["status"].isin(["closed", "announced"])]
        ax.plot(
            done["announced_on"],
            done["post_money_valuation_usd"] / 1e9,
            "-o",
            color=color,
            lw=lw,
            ms=4 if cid != FOCUS else 6,
            zorder=z,
            label=names.get(cid, cid),
        )
        talk = g[~g["status"].isin(["closed", "announced"])]
        ax.scatter(
            talk["announced_on"],
            talk["post_money_valuation_usd"] / 1e9,
            s=42,
            facecolors="white",
            edgecolors=color,
            linewidths=1.3,
            zorder=z + 1,
        )
    ax.scatter(
        [], [], s=42, facecolors="white", edgecolors="grey", label="reported only as talks / rumour"
    )
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel("post-money valuation, US$ billion (log scale)")
    ax.set_title("Valuations at each round: Moonshot AI (Kimi) against its peers")
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, frameon=False, loc="upper left")
    fig.text(
        0.01,
        -0.02,
        "Source: ai-lab-funding release, table rounds (post_money_valuation_usd, ECB rates). "
        "Hollow: status in_talks or rumored.",
        fontsize=7,
        color="grey",
    )
    return fig


def unit_errors(tables: dict[str, pd.DataFrame]) -> Figure:
    """Moonshot AI's accepted round amounts beside the ×10 reports the dataset rejected."""
    import matplotlib.pyplot as plt

    rounds = tables["rounds"]
    r = (
        rounds[(rounds["company_id"] == FOCUS) & rounds["amount_usd"].notna()]
        .sort_values("announced_on")
        .reset_index(drop=True)
    )
    rep = tables["reports"]
    rep = rep[
        (rep["fact_table"] == "rounds")
        & (rep["field"] == "amount")
        & rep["fact_id"].isin(r["round_id"])
    ]
    wrong = rep[
        (rep["verdict"] == "rejected") & rep["reason"].fillna("").str.startswith("unit_error")
    ]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = range(len(r))
    closed = r["status"].isin(["closed", "announced"]).tolist()
    for done, label in (
        (True, "accepted amount (the dataset's figure)"),
        (False, "accepted amount, round only reported as talks"),
    ):
        idx = [i for i in x if closed[i] == done]
        ax.bar(
            [i - 0.18 for i in idx],
            r.loc[idx, "amount_usd"] / 1e9,
            width=0.36,
            label=label,
            color="#1f77b4" if done else "white",
            edgecolor="#1f77b4",
            hatch=None if done else "///",
        )
    for i, rid in enumerate(r["round_id"]):
        bad = wrong[wrong["fact_id"] == rid]
        if bad.empty:
            continue
        usd = bad["ratio_to_canonical"].max() * r.loc[i, "amount_usd"] / 1e9
        first = i == r.index[r["round_id"].isin(wrong["fact_id"])][0]
        ax.bar(
            i + 0.18,
            usd,
            width=0.36,
            color="#d62728",
            label="rejected report, ×10 unit error" if first else None,
        )
        shown = bad["value_as_reported"].iloc[0]
        shown = (
            f"“{shown}”" if shown.isascii() else f"${usd:.2g}B"
        )  # the bundled font has no CJK glyphs
        ax.annotate(
            f"{shown}\n×{bad['ratio_to_canonical'].max():.0f}",
            (i + 0.18, usd),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    for i, a in zip(x, r["amount_usd"]):
        ax.annotate(f"${a / 1e9:.2g}B", (i - 0.18, a / 1e9), ha="center", va="bottom", fontsize=7)
    labels = [
        f"{d:%Y-%m}\n{t.replace('_', ' ')}" for d, t in zip(r["announced_on"], r["round_type"])
    ]
    ax.set_xticks(list(x), labels, fontsize=7)
    ax.set_ylabel("US$ billion")
    ax.set_title("Moonshot AI rounds: accepted amounts and the ×10 reports the dataset rejected")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.text(
        0.01,
        -0.04,
        "yi (10^8) read as 'billion' turns $500 million into '$5 billion'. "
        "Source: ai-lab-funding tables rounds and reports.",
        fontsize=7,
        color="grey",
    )
    return fig


def figure_files(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """Both figures as PNG and SVG (docs/figures/<name>.<ext> → bytes), drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    with plt.rc_context(STYLE):
        for name, draw in (("valuations", valuations), ("moonshot-unit-errors", unit_errors)):
            fig = draw(tables)
            for ext, data in _save(fig).items():
                files[f"docs/figures/{name}.{ext}"] = data
            plt.close(fig)
    return files
