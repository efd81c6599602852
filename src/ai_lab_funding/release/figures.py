"""The README's figures, drawn from the release with fixed settings: byte-stable.

(1) valuations over time, Moonshot AI against its Chinese peers and the most valuable labs
elsewhere; (2) Moonshot AI's round amounts next to the reports the dataset rejected as ×10
errors — the picture of why provenance matters; (3) every lab's funding, each dollar once.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
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


# A chart stays readable with this many lines; the rest of the field is in the tables.
PANEL_SIZE = 8


def _panels(tables: dict[str, pd.DataFrame]) -> list[tuple[str, list[str]]]:
    """Which companies each valuation panel shows, chosen from the data, never by hand.

    Moonshot AI and its Chinese peers (the most often valued), and the most valuable labs
    elsewhere at their latest round: a readable selection however many labs the data holds.
    """
    r = tables["rounds"].dropna(subset=["post_money_valuation_usd"])
    country = tables["companies"].set_index("company_id")["country"]
    r = r.assign(cn=r["company_id"].map(country).eq("CN"))
    china = r[r["cn"]].groupby("company_id").size()
    china_ids = sorted(china.index, key=lambda c: (c != FOCUS, -china[c], c))
    world = r[~r["cn"]].groupby("company_id")["post_money_valuation_usd"].max()
    world_ids = sorted(world.index, key=lambda c: (-world[c], c))
    return [
        ("China: Moonshot AI (Kimi) and its peers", china_ids[:PANEL_SIZE]),
        ("Elsewhere: the most valuable labs", world_ids[:PANEL_SIZE]),
    ]


def _valuation_lines(ax: Axes, r: pd.DataFrame, companies: list[str], names: pd.Series) -> None:
    """One line per company (hollow markers for talks), Moonshot AI drawn thick and red."""
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab10")
    for i, cid in enumerate(companies):
        g = r[r["company_id"] == cid].sort_values("announced_on")
        color = "#d62728" if cid == FOCUS else cmap(i % 10 if i % 10 != 3 else 9)
        lw, z = (2.2, 5) if cid == FOCUS else (1.0, 2)
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


def valuations(tables: dict[str, pd.DataFrame]) -> Figure:
    """Post-money valuation at each round on a log scale, in two readable panels."""
    import matplotlib.pyplot as plt

    r = tables["rounds"].dropna(subset=["post_money_valuation_usd"])
    names = tables["companies"].set_index("company_id")["name"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    for ax, (title, companies) in zip(axes, _panels(tables)):
        _valuation_lines(ax, r, companies, names)
        ax.scatter([], [], s=42, facecolors="white", edgecolors="grey", label="talks / rumour")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.legend(fontsize=7, ncol=2, frameon=False, loc="upper left")
        ax.tick_params(axis="x", labelsize=7)
    axes[0].set_ylabel("post-money valuation, US$ billion (log scale)")
    fig.suptitle("Valuations at each round")
    fig.text(
        0.01,
        -0.02,
        "Source: ai-lab-funding release, table rounds (post_money_valuation_usd, ECB rates). "
        f"Each panel shows at most {PANEL_SIZE} labs; every lab is in the tables.",
        fontsize=7,
        color="grey",
    )
    return fig


def funding(tables: dict[str, pd.DataFrame]) -> Figure:
    """All-time primary equity per company, each dollar once, lower bounds marked."""
    import matplotlib.pyplot as plt

    t = tables["funding_totals"]
    t = t[(t["period"] == "all") & (t["counted_as"] == "primary_equity")]
    known = t.dropna(subset=["amount_usd"]).sort_values(
        ["amount_usd", "company_id"], ascending=[True, True]
    )
    names = tables["companies"].set_index("company_id")["name"]
    unknown = sorted(names.get(c, c) for c in t.loc[t["amount_usd"].isna(), "company_id"])
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.22 * max(len(known), 1)))
    y = range(len(known))
    lower = known["is_lower_bound"].fillna(False).astype(bool).tolist()
    ax.barh(
        list(y),
        known["amount_usd"] / 1e9,
        color=["white" if lb else "#1f77b4" for lb in lower],
        edgecolor="#1f77b4",
        hatch=None,
    )
    for i, (a, lb) in enumerate(zip(known["amount_usd"], lower)):
        ax.annotate(
            f"{'≥ ' if lb else ''}${a / 1e9:.3g}B",
            (a / 1e9, i),
            va="center",
            fontsize=7,
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax.set_yticks(list(y), [names.get(c, c) for c in known["company_id"]], fontsize=7)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("primary equity raised, all time, US$ billion (log scale)")
    ax.set_title("Funding raised, each dollar counted once")
    ax.grid(axis="x", alpha=0.3)
    note = (
        "Hollow bar: a lower bound (some rounds undisclosed or 'at least'). "
        "Source: ai-lab-funding table funding_totals."
    )
    if unknown:
        note += "\nNo disclosed amount: " + ", ".join(unknown) + "."
    fig.text(0.01, -0.02, note, fontsize=7, color="grey", va="top", wrap=True)
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
    """Every figure as PNG and SVG (docs/figures/<name>.<ext> → bytes), drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = {}
    with plt.rc_context(STYLE):
        for name, draw in (
            ("valuations", valuations),
            ("moonshot-unit-errors", unit_errors),
            ("funding", funding),
        ):
            fig = draw(tables)
            for ext, data in _save(fig).items():
                files[f"docs/figures/{name}.{ext}"] = data
            plt.close(fig)
    return files
