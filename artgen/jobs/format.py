"""How a job's state, duration, rate and ETA read: the same in ``artgen jobs`` and the studio."""

from __future__ import annotations

import shlex

from rich.text import Text

from artgen.events import Progress
from artgen.jobs import kinds as job_kinds
from artgen.jobs.records import JobRecord
from artgen.schema import Option, options, show

__all__ = ["STATE_STYLES", "duration", "state_text", "where_text", "rate", "eta", "command_text"]

# The command that runs each kind from a shell (a kind a test or a plugin adds has none).
COMMANDS = {
    "train": "train",
    "sample": "sample",
    "walk": "walk",
    "project": "project",
    "style": "style",
    "texture": "texture",
    "toy": "toy",
    "classify": "classify train",
    "predict": "classify predict",
}

STATE_STYLES = {
    "queued": "dim",
    "running": "bold cyan",
    "stopping": "cyan",
    "done": "green",
    "failed": "bold red",
    "cancelled": "yellow",
}


def duration(seconds: float | None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour; ``-`` for a job that has not started."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def state_text(record: JobRecord) -> Text:
    """The state in its colour; a running job with a known end shows how far it is."""
    label = record.state
    if record.state == "running" and record.total:
        label = f"running {100 * record.step // record.total}%"
    elif record.state == "stopping":
        label = "stopping…"
    return Text(label, style=STATE_STYLES.get(record.state, ""))


def where_text(record: JobRecord) -> str:
    """Where the job runs or ran (``gpu:1``, ``cpu``, a Ray node); a queued job's wish if it named one."""
    if record.placement:
        return record.placement
    if record.state == "queued" and record.device != "auto":
        return f"{record.device}?"  # waits for that device
    return ""


def rate(progress: Progress | None) -> str:
    """The engine's own rate in its own unit (img/s, it/s, frames/s); empty when it sent none."""
    if progress is None or progress.rate is None:
        return ""
    figure = f"{progress.rate:.0f}" if progress.rate >= 100 else f"{progress.rate:.3g}"
    return f"{figure} {progress.rate_unit}"


def eta(step: int, total: int | None, steps_per_second: float | None) -> str:
    """Time left at ``steps_per_second``; ``-`` when the end or the pace is unknown."""
    if not total or not steps_per_second or step >= total:
        return "-"
    return duration((total - step) / steps_per_second)


def command_text(record: JobRecord) -> str | None:
    """The ``artgen ...`` command that runs the same job from a shell: every setting that differs
    from its default, paths as the job holds them (absolute); None for a kind no command runs."""
    spec = job_kinds.KINDS.get(record.kind)
    if spec is None or spec.name not in COMMANDS:
        return None
    words = ["artgen", *COMMANDS[spec.name].split()]
    if record.device != "auto":
        words[1:1] = ["--device", record.device]
    arguments: list[str] = []
    for opt in options(spec.config):
        if opt.setting.cli and opt.name in record.config:
            arguments += _words(opt, record.config[opt.name])
    return shlex.join(words + arguments)


def _words(opt: Option, value: object) -> list[str]:
    """How one setting is typed: nothing at its default, else its flag and value, or the bare value."""
    default = None if opt.required else opt.default
    if show(opt, value) == show(opt, default):
        return []
    if opt.setting.positional:
        return (
            [str(item) for item in value]
            if opt.widget == "images" and isinstance(value, list)
            else [show(opt, value)]
        )
    if opt.kind is bool:
        if value:
            return [opt.flag]
        return ["--no-" + opt.flag.removeprefix("--")] if opt.setting.negatable else []
    if value is None:
        return []  # an option left to the engine's choice, where its default is a value: not typeable
    items = value if opt.setting.repeatable and isinstance(value, list) else [value]
    return [word for item in items for word in (opt.flag, show(opt, item))]
