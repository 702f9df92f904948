"""Small server-side SVG charts (no JavaScript) for the weekly report and the staff console.

Each function returns one self-contained <svg> string with role="img", a <title> and a <desc>
that states the data in words for screen readers, and a <title> on every bar, point and cell so
a pointer shows the exact value. Numbers are formatted the Finnish way (1 234,5). Colours are
from a colour-blind-safe palette and every value is also written as text or shown on hover.
"""

from __future__ import annotations

import itertools
import re
from html import escape
from typing import Sequence

PALETTE = ("#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#a6761d", "#666666")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:12px"
WEEKDAYS_FI = ("ma", "ti", "ke", "to", "pe", "la", "su")
_ids = itertools.count(1)


def fi_number(value: float, decimals: int = 0) -> str:
    """1234.5 → "1 234,5" (narrow no-break space between thousands, decimal comma)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def fi_percent(share: float, decimals: int = 1) -> str:
    return f"{fi_number(share * 100, decimals)} %"


def _chart_id(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30] or "chart"
    return f"{slug}-{next(_ids)}"


def _open(width: int, height: int, title: str, description: str) -> tuple[str, str]:
    chart = _chart_id(title)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" style="{FONT};max-width:100%;height:auto" '
            f'aria-labelledby="{chart}-title {chart}-desc">'
            f'<title id="{chart}-title">{escape(title)}</title><desc id="{chart}-desc">{escape(description)}</desc>')
    return head, chart


def bar_chart(items: Sequence[tuple[str, float]], title: str, *, width: int = 640, bar_height: int = 22,
              label_width: int = 260, decimals: int = 0, unit: str = "", color: str = PALETTE[0]) -> str:
    """Horizontal bars, one per (label, value), in the given order; the value is printed after each bar."""
    if not items:
        return empty_chart(title, width)
    top = max(value for _, value in items) or 1
    plot = width - label_width - 70
    height = len(items) * (bar_height + 6) + 10
    description = "; ".join(f"{label}: {fi_number(value, decimals)}{unit}" for label, value in items)
    head, _ = _open(width, height, title, description)
    parts = [head]
    for index, (label, value) in enumerate(items):
        y = 5 + index * (bar_height + 6)
        length = max(value / top * plot, 1 if value else 0)
        shown = f"{fi_number(value, decimals)}{unit}"
        parts.append(
            f'<g><title>{escape(label)}: {shown}</title>'
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" fill="#222">'
            f'{escape(_shorten(label, 40))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{color}" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.7:.1f}" fill="#222">{shown}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float]], title: str, *, width: int = 640,
               height: int = 260, decimals: int = 0, unit: str = "") -> str:
    """One line per series over the x labels (days or weeks); a legend names the series."""
    if not labels or not series:
        return empty_chart(title, width)
    left, right, top_pad, bottom = 56, 36, 28, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max((max(values) for values in series.values() if len(values)), default=0) or 1
    step = plot_w / max(len(labels) - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h - value / peak * plot_h

    description = "; ".join(
        f"{name}: {fi_number(min(values), decimals)}–{fi_number(max(values), decimals)}{unit}, "
        f"viimeisin {fi_number(values[-1], decimals)}{unit}" for name, values in series.items() if len(values))
    head, _ = _open(width, height, title, f"{labels[0]}–{labels[-1]}. {description}")
    parts = [head]
    for fraction in (0, 0.5, 1):  # grid lines with their values
        y = top_pad + plot_h - fraction * plot_h
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
                     f'{fi_number(peak * fraction, decimals)}</text>')
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x, _ = point(i, 0)
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="#555">'
                         f'{escape(label)}</text>')
    for (name, values), color in zip(series.items(), itertools.cycle(PALETTE)):
        points = [point(i, v) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, values):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                         f'<title>{escape(name)} {escape(label)}: {fi_number(value, decimals)}{unit}</title></circle>')
    x = left
    for (name, _), color in zip(series.items(), itertools.cycle(PALETTE)):  # legend
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>'
                     f'<text x="{x + 16}" y="18" fill="#222">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)


def heatmap(matrix: Sequence[Sequence[float]], title: str, *, row_labels: Sequence[str] = WEEKDAYS_FI,
            width: int = 640, unit: str = "") -> str:
    """Weekday × hour grid (7 rows, 24 columns); darker is more. Each cell's value is in its <title>."""
    if not matrix or not any(any(row) for row in matrix):
        return empty_chart(title, width)
    columns = len(matrix[0])
    left, top_pad = 36, 22
    cell = (width - left - 8) / columns
    height = int(top_pad + len(matrix) * cell + 8)
    peak = max(max(row) for row in matrix) or 1
    busiest = max(((value, r, c) for r, row in enumerate(matrix) for c, value in enumerate(row)))
    head, _ = _open(width, height, title,
                    f"Eniten {row_labels[busiest[1]]} klo {busiest[2]}: {fi_number(busiest[0])}{unit}; "
                    f"yhteensä {fi_number(sum(sum(row) for row in matrix))}{unit}.")
    parts = [head]
    for c in range(0, columns, 3):
        parts.append(f'<text x="{left + c * cell + cell / 2:.1f}" y="15" text-anchor="middle" fill="#555">{c}</text>')
    for r, row in enumerate(matrix):
        y = top_pad + r * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell * 0.65:.1f}" text-anchor="end" fill="#222">'
                     f'{escape(row_labels[r])}</text>')
        for c, value in enumerate(row):
            strength = value / peak
            parts.append(f'<rect x="{left + c * cell:.1f}" y="{y:.1f}" width="{cell - 1:.1f}" height="{cell - 1:.1f}" '
                         f'fill="{PALETTE[0]}" fill-opacity="{0.06 + 0.94 * strength:.2f}">'
                         f'<title>{escape(row_labels[r])} klo {c}–{c + 1}: {fi_number(value)}{unit}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def empty_chart(title: str, width: int = 640) -> str:
    head, _ = _open(width, 40, title, "Ei tietoja valitulta ajalta.")
    return head + '<text x="8" y="24" fill="#555">Ei tietoja valitulta ajalta.</text></svg>'


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
