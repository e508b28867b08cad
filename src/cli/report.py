"""``energy-lake report``: one self-contained HTML file with charts and the tables behind them.

The lake is read through ``LocalAthena`` (the Iceberg tables at their current snapshots), as the
data_engineer persona (the report shows quarantine reasons and data quality results). Charts are drawn
with matplotlib on its Agg renderer (no display, no pyplot state) and embedded as base64 PNG, so the file
needs nothing but itself: no script, font, style sheet or image from anywhere else. Amounts stay
Decimal in the tables; the charts convert to float only to plot.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from energy_lake.cli.local_athena import LocalAthena, Result, TableSnapshot, format_value, lake_has_tables
from energy_lake.etl.access.governance import lake_tables
from energy_lake.etl.model.errors import LakeError

ENERGY_COLOURS = {"wind": "#4c9be8", "hydro": "#2bb3a3", "nuclear": "#e8a23b"}
OUTCOME_COLOURS = {"pass": "#4caf50", "warn": "#f0b400", "fail": "#d9534f"}

QUERIES = {
    "daily": (
        "SELECT ingest_date, energy_type, transaction_type, trade_count, total_quantity, avg_price "
        "FROM analytics.daily_energy_summary ORDER BY ingest_date, energy_type, transaction_type"
    ),
    "position": (
        "SELECT ingest_date, energy_type, bought_quantity, sold_quantity, net_position, purchase_cost, "
        "sales_revenue, gross_margin FROM analytics.daily_position ORDER BY ingest_date, energy_type"
    ),
    "buy_sell": (
        "SELECT energy_type, SUM(bought_quantity) AS bought_quantity, SUM(sold_quantity) AS sold_quantity, "
        "SUM(bought_quantity) - SUM(sold_quantity) AS net_position "
        "FROM analytics.daily_position GROUP BY energy_type ORDER BY energy_type"
    ),
    "quarantine": (
        "SELECT entity, rule, COUNT(*) AS records FROM raw.quarantine "
        "GROUP BY entity, rule ORDER BY records DESC, entity, rule"
    ),
    "quality_runs": (
        "SELECT run_id, MIN(evaluated_at) AS evaluated_at, "
        "SUM(CASE WHEN outcome = 'pass' THEN 1 ELSE 0 END) AS passed, "
        "SUM(CASE WHEN outcome = 'warn' THEN 1 ELSE 0 END) AS warnings, "
        "SUM(CASE WHEN outcome = 'fail' THEN 1 ELSE 0 END) AS failures "
        "FROM analytics.quality_results GROUP BY run_id ORDER BY evaluated_at, run_id"
    ),
    "quality_latest": (
        "SELECT rule, severity, outcome, scope, rows_checked, violations, pass_rate, message "
        "FROM analytics.quality_results WHERE run_id = (SELECT MAX(run_id) FROM analytics.quality_results) "
        "ORDER BY CASE outcome WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, rule"
    ),
}


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    caption: str
    png: bytes | None  # None: a table-only section
    tables: tuple[Result, ...]


def _f(value: Any) -> float:
    """Plotting only: Decimal -> float (None as 0)."""
    return float(value) if value is not None else 0.0


def _png(draw: Callable[[Any], None], size: tuple[float, float] = (9.0, 4.0)) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=96)
    draw(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    # No Software tag: nothing in the file names a website, not even inside the PNG.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _empty(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in the lake yet", ha="center", va="center", fontsize=12, color="#777777")
    ax.set_axis_off()


def _grouped_bars(ax: Any, days: list[str], series: dict[str, list[float]], ylabel: str) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [d + (i - (len(series) - 1) / 2) * width for d in range(len(days))]
        ax.bar(xs, values, width, label=name, color=ENERGY_COLOURS.get(name))
    ax.set_xticks(range(len(days)), days, rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.legend(fontsize=8)


def _by_day(rows: Sequence[tuple[Any, ...]], value: int, where: Callable[[tuple[Any, ...]], bool]) -> Any:
    days = sorted({str(r[0]) for r in rows})
    energies = sorted({str(r[1]) for r in rows})
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if where(r):
            table[str(r[1])][str(r[0])] = _f(r[value])
    return days, {e: [table[e].get(d, 0.0) for d in days] for e in energies}


def volume_chart(daily: Result) -> bytes:
    def draw(fig: Any) -> None:
        axes = fig.subplots(1, 2, sharey=True)
        for ax, side in zip(axes, ("buy", "sell"), strict=True):
            rows = [r for r in daily.rows if r[2] == side]
            if not rows:
                _empty(ax, f"{side} trades")
                continue
            days, series = _by_day(daily.rows, 4, lambda r, s=side: r[2] == s)  # type: ignore[misc]
            _grouped_bars(ax, days, series, "MWh")
            ax.set_title(f"{'Bought' if side == 'buy' else 'Sold'} (MWh) per energy type and day")

    return _png(draw)


def price_chart(daily: Result) -> bytes:
    def draw(fig: Any) -> None:
        ax = fig.subplots()
        if not daily.rows:
            _empty(ax, "trades")
            return
        days = sorted({str(r[0]) for r in daily.rows})
        for energy in sorted({str(r[1]) for r in daily.rows}):
            for side, style in (("buy", "-"), ("sell", "--")):
                points = {str(r[0]): _f(r[5]) for r in daily.rows if r[1] == energy and r[2] == side}
                if points:
                    xs = [days.index(d) for d in sorted(points)]
                    ax.plot(
                        xs,
                        [points[d] for d in sorted(points)],
                        style,
                        marker="o",
                        color=ENERGY_COLOURS.get(energy),
                        label=f"{energy} {side}",
                    )
        ax.set_xticks(range(len(days)), days, rotation=30, ha="right")
        ax.set_ylabel("average price per MWh")
        ax.set_title("Average price per energy type and day (buy solid, sell dashed)")
        ax.legend(fontsize=8, ncol=3)

    return _png(draw)


def buy_sell_chart(buy_sell: Result) -> bytes:
    def draw(fig: Any) -> None:
        ax = fig.subplots()
        if not buy_sell.rows:
            _empty(ax, "trades")
            return
        energies = [str(r[0]) for r in buy_sell.rows]
        xs = range(len(energies))
        ax.bar([x - 0.2 for x in xs], [_f(r[1]) for r in buy_sell.rows], 0.4, label="bought", color="#4c9be8")
        ax.bar([x + 0.2 for x in xs], [_f(r[2]) for r in buy_sell.rows], 0.4, label="sold", color="#e8a23b")
        ax.set_xticks(list(xs), energies)
        ax.set_ylabel("MWh")
        ax.set_title("Bought vs sold per energy type (all days)")
        ax.legend(fontsize=8)

    return _png(draw, (7.0, 4.0))


def margin_chart(position: Result) -> bytes:
    def draw(fig: Any) -> None:
        ax = fig.subplots()
        if not position.rows:
            _empty(ax, "positions")
            return
        days, series = _by_day(position.rows, 7, lambda r: True)
        _grouped_bars(ax, days, series, "sales revenue - purchase cost")
        ax.set_title("Gross margin per energy type and day")

    return _png(draw)


def quarantine_chart(quarantine: Result) -> bytes:
    def draw(fig: Any) -> None:
        ax = fig.subplots()
        if not quarantine.rows:
            _empty(ax, "quarantined records")
            return
        rows = list(reversed(quarantine.rows[:25]))
        ax.barh([f"{r[0]}: {r[1]}" for r in rows], [int(r[2]) for r in rows], color="#d9534f")
        ax.set_xlabel("records")
        ax.set_title("Quarantine reasons (records, top 25)")
        ax.tick_params(axis="y", labelsize=7)

    return _png(draw, (9.0, max(3.0, 0.22 * min(len(quarantine.rows), 25) + 1.2)))


def quality_chart(runs: Result) -> bytes:
    def draw(fig: Any) -> None:
        ax = fig.subplots()
        if not runs.rows:
            _empty(ax, "data quality results")
            return
        labels = [f"{str(r[1])[:16]}\n{r[0]}" for r in runs.rows]
        bottom = [0.0] * len(runs.rows)
        for column, outcome in ((2, "pass"), (3, "warn"), (4, "fail")):
            values = [_f(r[column]) for r in runs.rows]
            ax.bar(range(len(labels)), values, 0.6, bottom=bottom, label=outcome, color=OUTCOME_COLOURS[outcome])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=30, ha="right")
        ax.set_xlim(-0.7, max(len(labels), 6) - 0.3)  # a few runs keep narrow bars
        ax.set_ylabel("rules")
        ax.set_title("Data quality rule results per run")
        ax.legend(fontsize=8)

    return _png(draw)


def build_sections(engine: LocalAthena) -> list[Section]:
    data = {name: engine.query(sql) for name, sql in QUERIES.items()}
    return [
        Section(
            "volumes",
            "Volumes per energy type and day",
            "Total MWh bought and sold, per ingest date and energy type (analytics.daily_energy_summary).",
            volume_chart(data["daily"]),
            (data["daily"],),
        ),
        Section(
            "prices",
            "Average prices per energy type and day",
            "Quantity-weighted average price, buys and sells (analytics.daily_energy_summary).",
            price_chart(data["daily"]),
            (),
        ),
        Section(
            "buy-sell",
            "Buy vs sell",
            "Energy bought and sold per energy type over all days, and the net position (analytics.daily_position).",
            buy_sell_chart(data["buy_sell"]),
            (data["buy_sell"],),
        ),
        Section(
            "margin",
            "Margin",
            "Sales revenue minus purchase cost per day and energy type (analytics.daily_position).",
            margin_chart(data["position"]),
            (data["position"],),
        ),
        Section(
            "quarantine",
            "Quarantine reasons",
            "Records kept out of the lake, by feed and rule (raw.quarantine).",
            quarantine_chart(data["quarantine"]),
            (data["quarantine"],),
        ),
        Section(
            "quality",
            "Data quality rule results over time",
            "Rules passed, broken as warnings and broken as failures (promotion stopped), per run "
            "(analytics.quality_results); below, the results of the latest run that evaluated rules.",
            quality_chart(data["quality_runs"]),
            (data["quality_runs"], data["quality_latest"]),
        ),
    ]


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
nav a { margin-right: 1em; } section { margin: 2.5em 0; } img { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f4; }
.fail { color: #b52b27; font-weight: bold; } .warn { color: #9a7400; font-weight: bold; }
"""


def _table(result: Result) -> str:
    if not result.rows:
        return "<p><em>no rows</em></p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    body = []
    for row in result.rows:
        cells = []
        for column, value in zip(result.columns, row, strict=True):
            text = html.escape(format_value(value))
            numeric = isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)
            css = ' class="n"' if numeric else (f' class="{text}"' if column == "outcome" and text != "pass" else "")
            cells.append(f"<td{css}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def newest_snapshot(engine: LocalAthena, zone: str = "analytics") -> tuple[str, TableSnapshot] | None:
    """The zone's most recent commit: the table and its newest snapshot (None when nothing was written)."""
    newest = [(t, s[-1]) for t in lake_tables() if t.startswith(f"{zone}.") and (s := engine.snapshots(t))]
    return max(newest, key=lambda ts: (ts[1].committed_at, ts[0]), default=None)


def _snapshot_line(newest: tuple[str, TableSnapshot] | None) -> str:
    if newest is None:
        return "no analytics table written yet"
    table, snapshot = newest
    return (
        f"newest analytics snapshot {snapshot.snapshot_id} ({table}, committed "
        f"{snapshot.committed_at:%Y-%m-%d %H:%M:%S} UTC)"
    )


def render_html(
    sections: Sequence[Section], lake: str, generated_at: datetime, newest: tuple[str, TableSnapshot] | None
) -> str:
    nav = " ".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Energy trading data lake report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Energy trading data lake</h1>",
        f'<p class="meta">lake {html.escape(lake)}, {html.escape(_snapshot_line(newest))}, '
        f"generated {generated_at:%Y-%m-%d %H:%M} UTC</p>",
        f"<nav>{nav}</nav>",
    ]
    for s in sections:
        parts.append(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2><p>{html.escape(s.caption)}</p>')
        if s.png is not None:
            encoded = base64.b64encode(s.png).decode("ascii")
            parts.append(f'<img alt="{html.escape(s.title)}" src="data:image/png;base64,{encoded}">')
        parts += [_table(t) for t in s.tables]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(lake_dir: str, out: str | None = None, now: datetime | None = None) -> Path:
    if not lake_has_tables(lake_dir):
        raise LakeError(f"no lake at {Path(lake_dir).resolve()}: run `energy-lake run` first (or give --lake)")
    engine = LocalAthena(lake_dir, "data_engineer")
    sections = build_sections(engine)
    path = Path(out) if out else Path(lake_dir) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_html(sections, str(Path(lake_dir).resolve()), now or datetime.now(UTC), newest_snapshot(engine))
    path.write_text(text, encoding="utf-8")
    return path


def report_command(lake_dir: str, out: str | None) -> int:
    path = write_report(lake_dir, out)
    print(f"report: {path.resolve()}")
    return 0
