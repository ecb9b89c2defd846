"""Neural style transfer (Gatys et al.) on bundled ImageNet VGG16 weights.

``stylise(config, on_event, should_stop)`` is the style job's public call: what CONTENT is
decides which engine paints it, so the CLI and the job runner, which both call it, get a new
kind of content (an animation, a folder of photos) at once. ``transfer`` paints one still
picture. The engines load on first use, so that importing this package (e.g. for
:class:`StyleConfig` defaults in ``artgen style --help``) stays free of TensorFlow and Keras.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from artgen.errors import InputError
from artgen.events import OnEvent, ShouldStop, ignore_events, never_stop
from artgen.lazy import lazy_attributes
from artgen.style.config import INITS, NETS, OPTIMIZERS, StyleConfig

if TYPE_CHECKING:
    from artgen.style.batch import BatchResult
    from artgen.style.pictures import StyleResult
    from artgen.style.sequence import SequenceResult

__all__ = [
    "INITS",
    "NETS",
    "OPTIMIZERS",
    "StyleConfig",
    "StyleResult",
    "BatchResult",
    "stylise",
    "transfer",
    "evaluate",
]

_LAZY = {
    "StyleResult": "artgen.style.pictures",
    "BatchResult": "artgen.style.batch",
    "transfer": "artgen.style.engine",
    "evaluate": "artgen.style.engine",
}

__getattr__ = lazy_attributes(__name__, _LAZY)


def stylise(
    config: StyleConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> StyleResult | BatchResult | SequenceResult:
    """Paint ``config.content``: each photo of a folder (a batch), a clip (an animation, a
    video, ``--sequence`` frames), or one still picture."""
    if config.is_batch():
        from artgen.style.batch import paint_folder

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
    from artgen.style.engine import transfer

    return transfer(config, on_event, should_stop)
