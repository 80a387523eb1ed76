"""The utilisation chart, drawn on the server: for each vacancy type (and
all of them together), the beds used and spare month by month, stacked to
the month's capacity. Plain geometry for an SVG the page writes out (no
JavaScript), with a title, a description in words, and the figures as a
table beside it. A month nobody sent anything in is drawn as a gap, marked,
never left out."""
from __future__ import annotations

import math
from datetime import date

WIDTH, HEIGHT = 360, 230
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 14, 44
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _nice_top(value: int) -> int:
    """The axis' top: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 10
    power = 10 ** math.floor(math.log10(value))
    return next(int(step * power) for step in (1, 2, 2.5, 5, 10) if step * power >= value and
                float(step * power).is_integer()) if power >= 1 else 10


def _short(month: str) -> str:
    return f"{date.fromisoformat(month + '-01'):%b %Y}"


def _long(month: str) -> str:
    return f"{date.fromisoformat(month + '-01'):%B %Y}"


def chart(key: str, name: str, points: list[dict]) -> dict:
    """One chart: `points` are {month, figures or None}, oldest first."""
    count = len(points)
    top = _nice_top(max((p["figures"]["maximum_capacity"] for p in points if p["figures"]), default=0))
    slot = PLOT_W / max(count, 1)
    bar = max(min(slot * 0.7, 40), 2)
    every = max(1, math.ceil(count / 5))  # at most 5 or 6 month labels
    bars = []
    for index, point in enumerate(points):
        figures = point["figures"]
        x = LEFT + slot * index + (slot - bar) / 2
        used = (figures["occupied"] if figures else 0) * PLOT_H / top
        spare = (figures["vacant"] if figures else 0) * PLOT_H / top
        empty = not figures or not figures["maximum_capacity"]
        bars.append({"month": point["month"], "name": _long(point["month"]), "x": round(x, 1),
                     "width": round(bar, 1), "centre": round(x + bar / 2, 1),
                     "used_y": round(TOP + PLOT_H - used, 1), "used_h": round(used, 1),
                     "spare_y": round(TOP + PLOT_H - used - spare, 1), "spare_h": round(spare, 1),
                     "empty": empty, "label": _short(point["month"]) if (count - 1 - index) % every == 0 else None,
                     "figures": figures})
    ticks = [{"value": f"{int(top * share):,}", "y": round(TOP + PLOT_H - PLOT_H * share, 1)}
             for share in (0, 0.5, 1) if float(top * share).is_integer()]
    return {"id": f"chart-{key}", "name": name, "bars": bars, "ticks": ticks, "width": WIDTH, "height": HEIGHT,
            "left": LEFT, "right": WIDTH - RIGHT, "baseline": TOP + PLOT_H, "label_y": TOP + PLOT_H + 16,
            "description": describe(name, bars)}


def describe(name: str, bars: list[dict]) -> str:
    """The chart in words, for those who cannot see it."""
    if not bars:
        return f"{name}: no months."
    sent = [b for b in bars if not b["empty"]]
    period = f"{bars[0]['name']} to {bars[-1]['name']}" if len(bars) > 1 else bars[0]["name"]
    if not sent:
        return f"{name}, {period}: no location sent its capacity in any of these months."
    first, last = sent[0], sent[-1]

    def said(b):
        f = b["figures"]
        return f"{f['maximum_capacity']:,} beds, {f['occupied']:,} used and {f['vacant']:,} spare in {b['name']}"
    text = f"{name}, {period}. Capacity went from {said(first)} to {said(last)}."
    if first is last:
        text = f"{name}, {period}. {said(first)[0].upper()}{said(first)[1:]}."
    gaps = [b["name"] for b in bars if b["empty"]]
    if gaps:
        text += f" No returns in {', '.join(gaps)}."
    return text


def utilisation_charts(report: dict) -> list[dict]:
    """The charts of a month by vacancy type report (either way round):
    all vacancy types, then each; none for any other shape."""
    shape = (report.get("rows_by"), report.get("columns_by"))
    if shape == ("month", "vacancy_type"):
        months = [(row["key"], row["total"], row["cells"]) for row in report["rows"]]
        types = [(column["key"], column["name"]) for column in report["columns"]]
        by_type = {key: [cells[i] for _, _, cells in months] for i, (key, _) in enumerate(types)}
        totals = [total for _, total, _ in months]
        keys = [key for key, _, _ in months]
    elif shape == ("vacancy_type", "month"):
        keys = [column["key"] for column in report["columns"]]
        totals = [column["total"] for column in report["columns"]]
        types = [(row["key"], row["name"]) for row in report["rows"]]
        by_type = {row["key"]: row["cells"] for row in report["rows"]}
    else:
        return []
    if not keys:
        return []
    charts = [chart("all", "All vacancy types", [{"month": m, "figures": f} for m, f in zip(keys, totals)])]
    for key, name in types:
        charts.append(chart(key or "not-known", name, [{"month": m, "figures": f} for m, f in zip(keys, by_type[key])]))
    return charts
