"""Losses (or any metrics) as a line chart that redraws as training runs, its legend above it.

plotext draws its legend inside the plot, where on a small terminal it covers
the lines; here each series has a fixed colour and the legend is a line of
its own.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label
from textual_plotext import PlotextPlot

from artgen.events import Metrics
from artgen.jobs.history import NOT_PLOTTED

__all__ = ["LossChart"]

# rates belong in the progress line, and the step's own counters are the x axis, not a series
HIDDEN = (*NOT_PLOTTED, "img_per_s")
COLORS = ("cyan", "magenta", "green", "yellow", "blue", "red")  # names plotext and Rich both know


class LossChart(Vertical):
    _drawn: tuple[int, int] | None = None  # (how many points, id of the last) now on screen

    def compose(self) -> ComposeResult:
        yield Label("metrics (none yet)", id="chart-legend")
        yield _Plot(id="chart-plot")

    def show(self, points: list[Metrics]) -> None:
        """Plot ``points``; a no-op when they are the ones already drawn, so callers may poll."""
        drawn = (len(points), id(points[-1]) if points else 0)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        plot = self.query_one(_Plot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        names = [name for name in (points[-1].values if points else {}) if name not in HIDDEN]
        steps = [point.step for point in points]
        legend = Text()
        for name, color in zip(names, COLORS * (len(names) // len(COLORS) + 1), strict=False):
            plt.plot(steps, [point.values.get(name, float("nan")) for point in points], color=color)
            legend.append("━ ", style=color).append(f"{name}  ")
        self.query_one("#chart-legend", Label).update(legend if names else "metrics (none yet)")
        plot.refresh()


class _Plot(PlotextPlot):
    def on_unmount(self) -> None:
        """PlotextPlot subscribes to the app's theme signal and never leaves; a closed job view
        would stay in memory, with its whole widget tree, until the theme next changed."""
        self.app.theme_changed_signal.unsubscribe(self)
