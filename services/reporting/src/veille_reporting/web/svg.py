"""Hand-written SVG charts (no JavaScript, no CDN): they render offline, in print and in PDF."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SAVER = "#2e7d32"
CONTROL = "#9e9e9e"
VIEWER = "#1565c0"


def _svg(width: int, height: int, body: str, label: str, chart: str) -> str:
    return (
        f'<svg class="chart" data-chart="{chart}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">{body}</svg>'
    )


def bars(
    series: Sequence[tuple[str, Sequence[float | None], str]],
    labels: Sequence[str],
    *,
    unit: str,
    chart: str,
    width: int = 720,
    height: int = 220,
) -> str:
    """Grouped vertical bars: one group per label, one bar per series (name, values, colour)."""
    values = [v for _, vs, _ in series for v in vs if v is not None]
    top = max(values, default=0.0) or 1.0
    left, bottom, right = 48, 34, 8
    plot_w, plot_h = width - left - right, height - bottom - 20
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = max(1.0, group_w * 0.8 / max(len(series), 1))
    parts = [f'<line x1="{left}" y1="{20 + plot_h}" x2="{width - right}" y2="{20 + plot_h}" stroke="#333"/>']
    for tick in range(5):
        value = top * tick / 4
        y = 20 + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, vs, colour) in enumerate(series):
            v = vs[i] if i < len(vs) else None
            if v is None:
                continue
            h = plot_h * max(v, 0.0) / top
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" data-value="{v:.6g}" x="{x0 + j * bar_w:.1f}" '
                f'y="{20 + plot_h - h:.1f}" width="{bar_w * 0.95:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)} {escape(name)}: {v:.3f} {escape(unit)}</title></rect>"
            )
        if n <= 16 or i % max(1, n // 12) == 0:
            parts.append(
                f'<text x="{x0 + group_w * 0.4:.1f}" y="{height - 18}" text-anchor="middle">{escape(label)}</text>'
            )
    legend_x = left + 7 * len(unit) + 20
    for name, _, colour in series:
        parts.append(f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="13">{escape(name)}</text>')
        legend_x += 14 + 7 * len(name) + 16
    parts.append(f'<text x="4" y="13" fill="#555">{escape(unit)}</text>')
    return _svg(width, height, "".join(parts), f"{chart}: {unit}", chart)


def hbars(rows: Sequence[tuple[str, float, str]], *, unit: str, chart: str, width: int = 720) -> str:
    """Horizontal bars, one per row (label, value, text shown after the bar)."""
    height = 24 * max(len(rows), 1) + 10
    top = max((abs(v) for _, v, _ in rows), default=0.0) or 1.0
    left = 220
    plot_w = width - left - 150
    parts = []
    for i, (label, v, text) in enumerate(rows):
        y = 6 + 24 * i
        w = plot_w * max(v, 0.0) / top
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(label[-34:])}</text>')
        parts.append(
            f'<rect class="bar" data-value="{v:.6g}" x="{left}" y="{y}" width="{w:.1f}" height="16" fill="{SAVER}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 13}">{escape(text)}</text>')
    return _svg(width, height, "".join(parts), f"{chart}: {unit}", chart)


def heatmap(rows: Sequence[tuple[str, Sequence[float]]], *, chart: str = "heatmap", width: int = 720) -> str:
    """Hour-of-day heatmap: one row per series, 24 cells, shade = share of the hour (0-1)."""
    left, cell_h = 150, 22
    cell_w = (width - left - 8) / 24
    height = 22 + cell_h * len(rows) + 6
    parts = []
    for h in range(24):
        parts.append(f'<text x="{left + h * cell_w + cell_w / 2:.1f}" y="14" text-anchor="middle">{h}</text>')
    for i, (label, values) in enumerate(rows):
        y = 20 + i * cell_h
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        for h, v in enumerate(values):
            share = min(max(v, 0.0), 1.0)
            light = 96 - int(60 * share)
            parts.append(
                f'<rect class="cell" data-value="{share:.4f}" x="{left + h * cell_w:.1f}" y="{y}" '
                f'width="{cell_w - 1:.1f}" height="{cell_h - 2}" fill="hsl(28,85%,{light}%)">'
                f"<title>{escape(label)} {h}:00 {share:.0%}</title></rect>"
            )
    return _svg(width, height, "".join(parts), "hour-of-day activity", chart)


def timeline(stages: Sequence[tuple[str, float, float, bool]], *, total_days: float, width: int = 720) -> str:
    """Stage bars on a day axis: (stage, start day, length in days, overrun)."""
    left = 150
    plot_w = width - left - 40
    height = 22 * max(len(stages), 1) + 24
    scale = plot_w / (total_days or 1.0)
    parts = []
    for i, (stage, start, length, overrun) in enumerate(stages):
        y = 4 + 22 * i
        colour = "#c62828" if overrun else VIEWER
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(stage)}</text>')
        parts.append(
            f'<rect class="stage" x="{left + start * scale:.1f}" y="{y}" width="{max(2.0, length * scale):.1f}" '
            f'height="16" fill="{colour}"><title>{escape(stage)}: {length:.1f} days</title></rect>'
        )
        parts.append(
            f'<text x="{left + (start + length) * scale + 4:.1f}" y="{y + 13}">{length:.1f} d</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 4}" fill="#555">days since kickoff (total {total_days:.1f})</text>'
    )
    return _svg(width, height, "".join(parts), "stage timeline", "timeline")
