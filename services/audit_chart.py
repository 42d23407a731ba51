"""The PNG of ``rolefit audit``: one panel per dimension, selection rate per group.

Bars in red fail the four-fifths rule; hatched bars are small samples; the dashed line is four
fifths of the reference rate, the bar a group must reach. matplotlib runs on the Agg backend
(no display) and is imported only here, so the rest of rolefit does not need it.
"""

from __future__ import annotations

from pathlib import Path

from services.core.fairness import DIMENSIONS, FOUR_FIFTHS, FairnessReport


def write_png(report: FairnessReport, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(d, [g for g in report.groups if g.dimension == d]) for d in DIMENSIONS]
    panels = [(d, rows) for d, rows in panels if rows]
    heights = [max(1.6, 0.45 * len(rows) + 0.9) for _, rows in panels] or [1.6]
    size = (9, sum(heights))
    figure, axes = plt.subplots(len(heights), 1, figsize=size, height_ratios=heights, squeeze=False)
    for ax, (dimension, rows) in zip(axes[:, 0], panels, strict=True):
        names = [g.group for g in rows]
        colours = ["#c0392b" if g.adverse else "#2e86c1" for g in rows]
        bars = ax.barh(names, [g.rate for g in rows], color=colours)
        for bar, g in zip(bars, rows, strict=True):
            if g.small_sample:
                bar.set_hatch("//")
            ratio = "" if g.impact_ratio is None else f"  IR {g.impact_ratio:.2f}"
            small = f"  small sample ({g.candidates} people)" if g.small_sample else ""
            label = f" {g.selected}/{g.considered}{ratio}{small}"
            colour = "#c0392b" if g.adverse else "black"  # a zero-rate bar has no colour of its own
            y = bar.get_y() + bar.get_height() / 2
            ax.text(bar.get_width(), y, label, va="center", fontsize=8, color=colour)
        compared = [g.rate / g.impact_ratio for g in rows if g.impact_ratio]
        if compared:
            ax.axvline(FOUR_FIFTHS * compared[0], linestyle="--", color="grey", linewidth=1)
        ax.set_xlim(0, 1.15)
        ax.invert_yaxis()
        ax.set_title(dimension, fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("selection rate (shortlisted / considered)")
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
