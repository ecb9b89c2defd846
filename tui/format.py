"""Short, consistent text for states, durations and rates across screens."""

from __future__ import annotations

from rich.text import Text

from artgen.jobs import JobRecord

__all__ = ["duration", "state_text", "eta"]

STATE_STYLES = {
    "queued": "dim",
    "running": "bold cyan",
    "stopping": "cyan",
    "done": "green",
    "failed": "bold red",
    "cancelled": "yellow",
}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def state_text(record: JobRecord) -> Text:
    label = record.state
    if record.state == "running" and record.total:
        label = f"running {100 * record.step // record.total}%"
    elif record.state == "stopping":
        label = "stopping…"
    return Text(label, style=STATE_STYLES.get(record.state, ""))


def eta(step: int, total: int | None, steps_per_second: float | None) -> str:
    if not total or not steps_per_second or step >= total:
        return "-"
    return duration((total - step) / steps_per_second)
