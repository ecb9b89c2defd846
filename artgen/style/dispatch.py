"""The style job's one entry point: what CONTENT is decides which engine paints it.

The CLI and the job runner both call :func:`stylise`, so a new kind of content
(an animation, a folder of photos) is added here once and both fronts get it.
"""

from __future__ import annotations

from artgen.events import OnEvent, ShouldStop, ignore_events, never_stop
from artgen.style.batch import BatchResult, paint_folder
from artgen.style.config import StyleConfig
from artgen.style.engine import StyleResult, transfer

__all__ = ["stylise"]


def stylise(
    config: StyleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> StyleResult | BatchResult:
    """Paint ``config.content``: one still picture, or each photo of a folder (a batch)."""
    if config.is_batch():
        return paint_folder(config, on_event, should_stop)
    return transfer(config, on_event, should_stop)
