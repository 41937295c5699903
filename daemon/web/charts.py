"""Server-rendered SVG charts (no script, no CDN): the campaign's progress per day."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from db.dashboard import DayProgress

SERIES = (
    ("validated", "Constats validés", "#1b7a3a"),
    ("exported", "Exports reçus", "#1f4e9c"),
    ("errors", "Passages en erreur", "#b3261e"),
)


def progress_svg(days: Sequence[DayProgress], *, width: int = 720, height: int = 240) -> Markup:
    """A line per series, one point per day; a title and description for screen readers."""
    left, right, top, bottom = 40, 30, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1, *(max(d.validated, d.exported, d.errors) for d in days)])
    step = plot_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(value: int) -> float:
        return top + plot_h - plot_h * value / peak

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Avancement de la campagne, jour par jour</title>',
        '<desc id="chart-desc">Nombre de constats validés, d\'exports reçus et de passages en '
        "erreur chaque jour de la campagne.</desc>",
    ]
    for fraction in (0, 0.5, 1):
        value = round(peak * fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>'
        )
    if days:
        ticks = sorted({0, len(days) - 1, *range(0, len(days), max(1, len(days) // 6))})
        for i in ticks:
            tick = escape(days[i].day.strftime("%d/%m"))
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle">{tick}</text>'
            )
        for attribute, label, colour in SERIES:
            points = " ".join(
                f"{x(i):.1f},{y(getattr(d, attribute)):.1f}" for i, d in enumerate(days)
            )
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
                f"<title>{escape(label)}</title></polyline>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
