"""``render_walk``: a looping animation of a generator's latent space, streamed to a file."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from artgen import audio, backends, media, runs
from artgen import images as image_io
from artgen.errors import InputError
from artgen.events import Message, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.generators import sampling
from artgen.generators.latents_file import write_latents
from artgen.generators.locate import resolve_model
from artgen.walk import keyframes
from artgen.walk.config import MAX_FRAMES, WalkConfig
from artgen.walk.frames import resample_mode, tile, upscale
from artgen.walk.path import KeyframePath
from artgen.walk.rhythm import Rhythm, read_music, rhythm

__all__ = ["WalkResult", "render_walk", "render_with"]

PALETTE_SAMPLE = 16  # frames spread over the walk that choose the GIF palette
# the generator traced into one graph, where a backend has a way; elsewhere it is called as it is
TRACERS = {"tensorflow": "artgen.walk.forward_tensorflow:traced"}


@dataclass(frozen=True)
class WalkResult:
    out: Path
    frames: int  # frames written; 0 when stopped early (nothing is left behind then)
    stopped: bool = False
    flicker: float | None = None  # stylised walks: output / input mean frame-to-frame change
    seam_flicker: float | None = None  # ... the largest frame pair's where the loop closes
    flicker_pairs: tuple[float, float, float] | None = None  # other frame pairs': mean, deviation, largest


class _Stopped(Exception):
    """Raised inside the writer so the temporary output is removed."""


def render_walk(
    config: WalkConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> WalkResult:
    """Render ``config.frames`` frames and write them to ``config.out`` (gif, webp, mp4 or PNG folder).

    The name is held from before the model loads until the file is in place.
    """
    if config.format == "mp4":
        media.require_ffmpeg()
    with _reserved(config):
        config, music = _timed(config, on_event)
        return _render(sampling.load_generator(config.model), config, on_event, should_stop, music)


def render_with(
    generator: keras.Model,
    config: WalkConfig,
    on_event: OnEvent = ignore_events,
    should_stop: ShouldStop = never_stop,
) -> WalkResult:
    """:func:`render_walk` with a generator already in memory, which must be ``config.model``'s:
    latents files are checked against, and ``--save-latents`` names, that file.

    For callers that render many walks from one model (the studio, benchmarks).
    """
    if config.format == "mp4":
        media.require_ffmpeg()
    with _reserved(config):
        config, music = _timed(config, on_event)
        return _render(generator, config, on_event, should_stop, music)


def _timed(config: WalkConfig, on_event: OnEvent) -> tuple[WalkConfig, Rhythm | None]:
    """With ``--audio``: the config with the track's length in frames, and the walk's timing from it."""
    if config.audio is None:
        return config, None
    track = read_music(config.audio, config.fps, MAX_FRAMES)
    music = rhythm(track, config.fps, config.reactivity, config.beat_weight, config.release)
    name = Path(config.audio).name
    on_event(Message(f"{name}: {track.duration:.2f} s of sound, {music.frames} frames at {config.fps:g} fps"))
    return dataclasses.replace(config, frames=music.frames), music


@contextlib.contextmanager
def _reserved(config: WalkConfig) -> Iterator[Path]:
    """The outputs held for the walk: a file, or a folder of frames built whole and renamed into place,
    and the ``--save-latents`` file.

    Never a user's file replaced unasked; with ``--overwrite``, an old folder only if it holds frames alone.
    """
    with contextlib.ExitStack() as held:
        if config.format == "frames":
            held.enter_context(
                runs.reserve(config.out, kind="folder", replaces=media.FRAME_NAME, overwrite=config.overwrite)
            )
        else:
            held.enter_context(runs.reserve(config.out, overwrite=config.overwrite))
        if config.save_latents is not None:
            held.enter_context(runs.reserve(config.save_latents, overwrite=config.overwrite))
        yield Path(config.out)


def _keyframes(
    generator: keras.Model, config: WalkConfig, on_event: OnEvent, should_stop: ShouldStop
) -> keyframes.Keyframes | None:
    """The walk's keyframes from where ``config`` says; None if stopped while finding pictures."""
    dim = sampling.latent_dim(generator)
    if config.keyframe_images is not None:
        return keyframes.from_pictures(config, generator, on_event, should_stop)
    if config.keyframe_files:
        found = keyframes.from_files(config, resolve_model(config.model))
        if found.keys.shape[-1] != dim:  # the same file hash with another length cannot happen unedited
            raise InputError(
                f"--keyframes holds {found.keys.shape[-1]}-long latents; the generator takes {dim}"
            )
        return found
    return keyframes.random_keyframes(config, dim)


def _render(
    generator: keras.Model,
    config: WalkConfig,
    on_event: OnEvent,
    should_stop: ShouldStop,
    music: Rhythm | None,
) -> WalkResult:
    out = Path(config.out)
    dim = sampling.latent_dim(generator)
    native = int(generator.output_shape[1])
    size = config.size or native
    mode = resample_mode(config.resample, native, size)
    keys = _keyframes(generator, config, on_event, should_stop)  # walk 0 of a grid is the 1x1 walk
    if keys is None:
        on_event(Message(f"stopped before the end; {out} was not written", level="warning"))
        return WalkResult(out=out, frames=0, stopped=True)
    path = KeyframePath(keys.keys, config.interp, config.ease)
    forward = _fast(generator)
    per_batch = max(1, config.batch_size // config.walks)

    def render(index: np.ndarray) -> np.ndarray:
        phase = index / config.frames if music is None else music.phase[index]
        z = path(phase).reshape(-1, dim)
        cells = sampling.generate(forward, z, batch_size=len(z))
        return tile(upscale(cells, size, mode), len(index), config.grid)

    spread = np.linspace(0, config.frames, min(config.frames, PALETTE_SAMPLE), endpoint=False)
    styled = None
    started = time.perf_counter()  # a stylised walk paints its first frames before the writer takes any
    try:
        if config.style is None:
            sample = render(spread.astype(int))
            source: Iterator[np.ndarray] = (
                render(np.arange(start, min(start + per_batch, config.frames)))
                for start in range(0, config.frames, per_batch)
            )
        else:
            from artgen.walk.styled import StyledFrames

            frame = render(np.zeros(1, int))[0]
            styled = StyledFrames(config, render, frame.shape[1::-1], on_event, should_stop)
            source = styled.batches(per_batch)
            first = next(source, None)
            if first is None:
                raise _Stopped
            sample = styled.palette_sample(first[0])
            source = itertools.chain([first], source)
        preview = Path(tempfile.gettempdir()) / f"artgen-walk-{out.stem}-first.png"
        image_io.save_png(preview, sample[0])
        on_event(Preview(str(preview), caption=f"first frame of {out.name}"))

        def batches() -> Iterator[np.ndarray]:
            done = 0
            while True:
                if should_stop():
                    raise _Stopped
                batch = next(source, None)
                if batch is None and styled is not None and styled.stopped:
                    raise _Stopped
                if batch is None:
                    return
                done += len(batch)
                rate = done / max(time.perf_counter() - started, 1e-9)
                on_event(
                    Progress(done, config.frames, "frame", rate=rate, rate_unit="frames/s", stage="walk")
                )
                yield batch

        with runs.atomic_path(out, folder=config.format == "frames") as tmp:
            sound = None if config.audio is None else audio.audio_input(config.audio)
            media.write(config.format, tmp, batches(), config.fps, config.frames, sample, sound)
        if config.save_latents is not None:
            write_latents(config.save_latents, keys.flat, resolve_model(config.model), keys.names)
    except _Stopped:
        on_event(Message(f"stopped before the end; {out} was not written", level="warning"))
        return WalkResult(out=out, frames=0, stopped=True)
    if styled is not None:
        return WalkResult(
            out,
            config.frames,
            flicker=styled.flicker,
            seam_flicker=styled.seam_flicker,
            flicker_pairs=styled.flicker_pairs,
        )
    return WalkResult(out=out, frames=config.frames)


def _fast(generator: keras.Model) -> keras.Model:
    """The generator traced into one graph where the backend has a way (same outputs, faster calls)."""
    trace = backends.implementation(TRACERS)
    return generator if trace is None else trace(generator)
