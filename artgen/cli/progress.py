"""One progress line laid out to a width: what says how far and how long never gives way.

A line has parts of two kinds. The count (``1520/21000``), the percentage
and the time left are what a person looks at a bar for, so they are always
there, in full; the stage (``epoch 1/20``) too, cut only on a screen too
narrow for anything else. The rest gives way whole, never cut in the
middle: first the metrics, the last named first, then the time so far, the
rate, and the bar, which takes what width is left (at least
:data:`BAR_MIN` columns, at most :data:`BAR_MAX`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

__all__ = ["Line", "clock", "layout", "BAR_MIN", "BAR_MAX"]

BAR_MIN, BAR_MAX = 10, 40
GAP = "  "


@dataclass(frozen=True)
class Line:
    """What one progress line may show, each part already as text."""

    stage: str
    step: int
    total: int | None
    elapsed: float | None = None  # seconds
    remaining: float | None = None  # seconds; None while unknown
    rate: str = ""  # "245.0 img/s"
    metrics: tuple[str, ...] = ()  # "d_loss 0.693", in order of importance


def clock(seconds: float | None) -> str:
    """``H:MM:SS``, or ``-:--:--`` while unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "-:--:--"
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def layout(line: Line, width: int) -> Text:
    """The line in at most ``width`` columns (the stage is cut only when nothing else fits)."""
    fixed = [_count(line)]
    if line.total:
        fixed.append(f"{100 * min(line.step, line.total) / line.total:.0f}%")
        fixed.append(f"eta {clock(line.remaining)}")
    elif line.elapsed is not None:
        fixed.append(clock(line.elapsed))
    optional: list[tuple[str, str]] = []  # (kind, text) in the order they give way last to first
    if line.rate:
        optional.append(("rate", line.rate))
    if line.elapsed is not None and line.total:
        optional.append(("elapsed", f"took {clock(line.elapsed)}"))
    optional.extend(("metric", metric) for metric in line.metrics)
    stage = line.stage
    used = _width([stage, *fixed])
    if used > width:  # a very narrow terminal: the stage is the one part that may be cut
        room = max(0, width - _width(fixed) - len(GAP))
        stage = stage[: max(0, room - 1)] + "…" if room and len(stage) > room else stage[:room]
        used = _width([stage, *fixed])
    bar_width = 0
    if line.total and used + len(GAP) + BAR_MIN <= width:
        bar_width = BAR_MIN
        used += len(GAP) + BAR_MIN
    kept: list[tuple[str, str]] = []
    for kind, text in optional:  # each in full or not at all; once one is left out, so are the rest
        if used + len(GAP) + len(text) > width:
            break
        kept.append((kind, text))
        used += len(GAP) + len(text)
    if bar_width:
        bar_width = min(BAR_MAX, bar_width + width - used)
    return _render(stage, bar_width, line, fixed, kept)


def _count(line: Line) -> str:
    return f"{line.step}/{line.total if line.total else '?'}"


def _width(parts: list[str]) -> int:
    shown = [part for part in parts if part]
    return sum(len(part) for part in shown) + len(GAP) * max(0, len(shown) - 1)


def _render(stage: str, bar_width: int, line: Line, fixed: list[str], kept: list[tuple[str, str]]) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    parts: list[Text] = []
    if stage:
        parts.append(Text(stage, style="bold"))
    if bar_width:
        parts.append(_bar(bar_width, line.step / line.total if line.total else 0.0))
    styles = {"rate": "progress.data.speed", "elapsed": "progress.elapsed", "metric": ""}
    parts.append(Text(fixed[0], style="progress.download"))
    parts.extend(
        Text(part, style="progress.percentage" if part.endswith("%") else "progress.remaining")
        for part in fixed[1:]
    )
    parts.extend(Text(part, style=styles[kind]) for kind, part in kept)
    for index, part in enumerate(parts):
        if index:
            text.append(GAP)
        text.append_text(part)
    return text


def _bar(width: int, fraction: float) -> Text:
    """A bar of ``width`` cells, filled to ``fraction`` in half cells, as rich draws its own."""
    halves = int(round(max(0.0, min(1.0, fraction)) * width * 2))
    full, half = divmod(halves, 2)
    bar = Text("━" * full, style="bar.complete" if fraction < 1 else "bar.finished")
    if half:
        bar.append("╸", style="bar.complete")
    bar.append("━" * (width - full - half), style="bar.back")
    return bar
