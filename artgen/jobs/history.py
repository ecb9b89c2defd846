"""A run's earlier metrics, read from its ``metrics.csv``, for the job that continues it.

Every engine with a run directory writes ``metrics.csv`` (a ``step`` or
``epoch`` column, then one column per metric). A resumed job is a new job
over the same run, so its chart starts with the rows the run wrote before.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

from artgen import stored
from artgen.errors import ArtgenError
from artgen.events import Metrics

__all__ = ["RunHistory", "read_metrics_csv", "latest_picture"]

STEP_COLUMNS = ("step", "epoch")  # the x axis, in this order of preference
NOT_PLOTTED = ("step", "epoch", "time", "seconds")
PICTURE_FOLDERS = ("images", "frames")  # where runs keep their sample grids and plots, named in step order


def read_metrics_csv(path: Path) -> list[Metrics]:
    """Rows of ``path`` as Metrics; a missing or damaged file (``stored.read_table``) reads as no rows.

    The chart only shows a run's history; the run itself refuses a damaged
    file, naming it, when it is resumed.
    """
    try:
        table = stored.read_table(path)
    except ArtgenError:
        return []
    step_column = next((name for name in STEP_COLUMNS if name in table.columns), None)
    if step_column is None:
        return []
    at = table.columns.index(step_column)
    plotted = [(index, name) for index, name in enumerate(table.columns) if name not in NOT_PLOTTED]
    return [
        Metrics(int(row[at]), {name: row[index] for index, name in plotted if math.isfinite(row[index])})
        for row in table.rows
    ]


def latest_picture(run_dir: str | Path) -> Path | None:
    """The newest sample grid or plot a run wrote: what a resumed job shows until it draws its own."""
    for folder in PICTURE_FOLDERS:
        try:
            found = (Path(run_dir) / folder).glob("*.png")
            pictures = sorted(path for path in found if path.is_file() and not path.name.startswith("."))
        except OSError:
            continue
        if pictures:
            return pictures[-1]
    return None


class RunHistory:
    """Reads each run's ``metrics.csv`` once per change (the chart polls it twice a second)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[Path, tuple[float, list[Metrics]]] = {}
        self._earlier: dict[tuple[Path, int, frozenset[str]], list[Metrics]] = {}

    def read(self, run_dir: Path) -> list[Metrics]:
        path = run_dir / "metrics.csv"
        try:
            changed = path.stat().st_mtime
        except OSError:
            return []
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == changed:
            return cached[1]
        points = read_metrics_csv(path)
        with self._lock:
            self._cache[path] = (changed, points)
        return points

    def before(self, run_dir: Path, live: list[Metrics]) -> list[Metrics]:
        """The run's rows from before ``live`` began, then ``live``; the rows alone when nothing is live.

        Only the metrics ``live`` reports are kept from the file, so one chart
        never mixes the file's extra columns into the live ones.
        """
        if not live:
            return self.read(run_dir)
        # The rows before a live job's first point never change while it runs: read them once,
        # not each time the chart looks (the run rewrites metrics.csv as it goes).
        key = (run_dir, live[0].step, frozenset(live[-1].values))
        with self._lock:
            earlier = self._earlier.get(key)
        if earlier is None:
            earlier = [
                Metrics(point.step, {k: v for k, v in point.values.items() if k in key[2]})
                for point in self.read(run_dir)
                if point.step < key[1]
            ]
            with self._lock:
                self._earlier[key] = earlier
        return earlier + live if earlier else live
