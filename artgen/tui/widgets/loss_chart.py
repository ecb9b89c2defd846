"""Losses (or any metrics) as a line chart that redraws as training runs."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from artgen.events import Metrics

__all__ = ["LossChart"]

HIDDEN = ("img_per_s",)  # rates belong in the progress line, not on a loss axis


class LossChart(PlotextPlot):
    _drawn: tuple[int, int] | None = None  # (how many points, id of the last) now on screen

    def on_unmount(self) -> None:
        """PlotextPlot subscribes to the app's theme signal and never leaves; a closed job view
        would stay in memory, with its whole widget tree, until the theme next changed."""
        self.app.theme_changed_signal.unsubscribe(self)

    def show(self, points: list[Metrics]) -> None:
        """Plot ``points``; a no-op when they are the ones already drawn, so callers may poll."""
        drawn = (len(points), id(points[-1]) if points else 0)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("metrics")
        names = [name for name in (points[-1].values if points else {}) if name not in HIDDEN]
        steps = [point.step for point in points]
        for name in names:
            plt.plot(steps, [point.values.get(name, float("nan")) for point in points], label=name)
        if not names:
            plt.title("metrics (none yet)")
        self.refresh()
