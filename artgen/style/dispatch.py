"""The style job's one entry point: what CONTENT is decides which engine paints it.

The CLI and the job runner both call :func:`stylise`, so a new kind of content
(an animation, a folder of photos) is added here once and both fronts get it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from artgen.errors import InputError
from artgen.events import OnEvent, ShouldStop, ignore_events, never_stop
from artgen.style.batch import BatchResult, paint_folder
from artgen.style.config import StyleConfig
from artgen.style.engine import transfer
from artgen.style.pictures import StyleResult

if TYPE_CHECKING:
    from artgen.style.sequence import SequenceResult

__all__ = ["stylise"]


def stylise(
    config: StyleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> StyleResult | BatchResult | SequenceResult:
    """Paint ``config.content``: each photo of a folder (a batch), a clip (an animation, a
    video, ``--sequence`` frames), or one still picture."""
    if config.is_batch():
        return paint_folder(config, on_event, should_stop)
    from artgen.style.clips import open_clip

    clip = open_clip(config.content, config.sequence)
    if clip is not None:
        if config.masks or config.seamless:
            raise InputError("--mask and --seamless paint still pictures and folders of photos, not clips")
        if config.method != "fast" and (config.init == "fast" or config.strength != 1):
            flag = "--init fast" if config.init == "fast" else "--strength"
            raise InputError(
                f"{flag} is for still pictures and folders of photos; for a clip use --method fast"
            )
        if config.method == "fast":
            from artgen.style.fast_clips import paint_clip

            return paint_clip(config, clip, on_event, should_stop)
        from artgen.style.sequence import stylise_clip

        return stylise_clip(config, clip, on_event, should_stop)
    if config.out is not None and Path(config.out).suffix.lower() != ".png":
        raise InputError(f"-o must name a .png file for a still picture, not {config.out!r}")
    if config.method == "fast":
        from artgen.style.fast import paint

        return paint(config, on_event, should_stop)
    return transfer(config, on_event, should_stop)
