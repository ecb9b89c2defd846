"""A folder of photos painted in one job: ``artgen style FOLDER STYLE [-o OUTDIR]``.

Every photo is painted as ``transfer`` (or ``--method fast``'s ``paint``)
paints one, with two differences that make a batch more than a loop in a
shell: the styles' targets (their Gram matrices at each scale, which depend on
the styles and the size only; the fast method's style vectors) are computed
once and shared, and a photo that cannot be painted (unreadable, too small) is
reported and skipped while the rest go on. Progress counts
iterations over the whole batch, so the ETA is the batch's.

The output folder mirrors the photos' sub-folders, one PNG per photo, plus
``batch.json``: what was written, what failed and why, rewritten after every
photo so that a killed batch still says how far it got. A batch in which no
photo could be painted is refused (exit 2) and leaves no folder behind. Nothing is taken
over: an existing, non-empty ``-o`` folder is refused without ``--overwrite``,
and the default folder gets a fresh numbered name; the folder is held for
the batch's whole run, so a second batch into it is refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from artgen import images, runs
from artgen.errors import InputError, TrainingDiverged
from artgen.events import Event, Message, Metrics, OnEvent, Preview, Progress, ShouldStop
from artgen.style.config import StyleConfig
from artgen.style.engine import StyleCache, transfer
from artgen.style.regions import RegionMasks

__all__ = ["BatchResult", "paint_folder", "default_out_dir", "REPORT_NAME"]

REPORT_NAME = "batch.json"


@dataclass(frozen=True)
class BatchResult:
    """What a batch produced: ``out`` is the output folder, ``report`` its ``batch.json``."""

    out: Path
    report: Path
    photos: int
    written: tuple[str, ...]  # output files, in the order painted
    failed: tuple[tuple[str, str], ...]  # (photo, why)
    seconds: float
    stopped: bool = False


def default_out_dir(config: StyleConfig, folder: Path | None = None) -> AbstractContextManager[Path]:
    """``<content>_<style>/`` in ``folder`` (the working directory), numbered if that one has files; held."""
    styles = "+".join(Path(style).stem for style in config.styles)
    stem = f"{Path(config.content).resolve().name}_{styles}"
    return runs.reserve_free(folder or Path.cwd(), stem, kind="into")


def _out_dir(config: StyleConfig) -> AbstractContextManager[Path]:
    """The output folder, held for the batch: new or empty, unless ``--overwrite``."""
    if config.out is None:
        return default_out_dir(config)
    return runs.reserve(config.out, kind="into", overwrite=config.overwrite)


def _photos(config: StyleConfig, out: Path) -> list[Path]:
    """The folder's images, less any inside the output folder (a re-run writing into CONTENT)."""
    out = out.resolve()
    # realpath, not resolve: a symlink loop among the photos is skipped when painted, not fatal here
    found = [p for p in images.list_images(config.content) if out not in Path(os.path.realpath(p)).parents]
    if not found:
        kinds = ", ".join(sorted(images.IMAGE_EXTENSIONS))
        raise InputError(f"{config.content} has no photos ({kinds})")
    return found


def _names(root: Path, photos: list[Path]) -> list[Path]:
    """Each photo's output path relative to the output folder: its own, as a PNG, sub-folders kept.

    Two photos differing only in extension (``cat.jpg``, ``cat.png``) keep
    it in their names (``cat-jpg.png``, ``cat-png.png``) rather than collide.
    """
    relative = [photo.relative_to(root) for photo in photos]
    stems = [r.with_suffix("") for r in relative]
    return [
        stem.with_name(f"{stem.name}-{r.suffix.lstrip('.').lower()}.png")
        if stems.count(stem) > 1
        else r.with_suffix(".png")
        for r, stem in zip(relative, stems, strict=True)
    ]


class _BatchEvents:
    """Turns one photo's events into the batch's: iterations counted over all photos, stages named."""

    def __init__(self, on_event: OnEvent, per_photo: int, photos: int) -> None:
        self.on_event, self.per_photo, self.photos = on_event, per_photo, photos
        self.index, self.name = 0, ""
        self.quiet = False  # after the first painted photo: its loading, memory and timing lines said it

    def start(self, index: int, name: str) -> None:
        self.index, self.name = index, name

    @property
    def base(self) -> int:
        return self.index * self.per_photo

    def __call__(self, event: Event) -> None:
        label = f"photo {self.index + 1}/{self.photos} {self.name}"
        if isinstance(event, Progress):
            stage = f"{label}, {event.stage}" if event.stage else label
            total = self.per_photo * self.photos
            event = replace(event, step=self.base + event.step, total=total, stage=stage)
        elif isinstance(event, Metrics):
            event = replace(event, step=self.base + event.step)
        elif isinstance(event, Preview):
            event = replace(event, caption=f"{label}: {event.caption}")
        elif isinstance(event, Message) and event.level == "info" and self.quiet:
            return
        self.on_event(event)


def paint_folder(config: StyleConfig, on_event: OnEvent, should_stop: ShouldStop) -> BatchResult:
    """Paint every photo in the folder ``config.content``; see the module's docstring."""
    with _out_dir(config) as out:
        return _paint(config, out, on_event, should_stop)


def _paint(config: StyleConfig, out: Path, on_event: OnEvent, should_stop: ShouldStop) -> BatchResult:
    """:func:`paint_folder` into ``out``, held by this process."""
    started = time.perf_counter()
    root = Path(config.content)
    photos = _photos(config, out)
    RegionMasks.load(config, (config.size, config.size))  # a bad mask is the whole batch's error, said once
    report = out / REPORT_NAME  # written once the first picture is: a batch refused leaves nothing
    if config.method == "fast":
        from artgen.style.fast import paint

        per_photo = 1
    else:
        settled = config.settled()
        paint, per_photo = transfer, settled.iterations * len(settled.scale_sizes())
    events = _BatchEvents(on_event, per_photo, len(photos))
    cache: StyleCache = {}
    written: list[dict[str, Any]] = []
    failed: list[tuple[str, str]] = []
    stopped = False
    on_event(Message(f"{len(photos)} photos in {root}; writing to {out}"))
    for index, (photo, name) in enumerate(zip(photos, _names(root, photos), strict=True)):
        events.start(index, photo.name)
        target = out / name
        try:
            result = paint(
                replace(config, content=str(photo), out=str(target)), events, should_stop, style_cache=cache
            )
        except (InputError, TrainingDiverged) as exc:
            reason = str(exc).removeprefix(f"{photo}: ")
            failed.append((str(photo), reason))
            on_event(Message(f"photo {index + 1}/{len(photos)} {photo.name} skipped: {reason}", "warning"))
        else:
            events.quiet = True
            written.append(
                {"photo": str(photo), "out": str(result.out), "seconds": round(result.seconds, 2)}
                | {"losses": result.losses, "stopped": result.stopped}
            )
            on_event(Message(f"photo {index + 1}/{len(photos)} {photo.name}: {name} ({result.seconds:.0f}s)"))
            stopped = result.stopped
        stopped = stopped or should_stop()
        if written or stopped:
            _write_report(report, config, photos, written, failed, stopped, started)
        if stopped:
            left = len(photos) - index - 1
            on_event(Message(f"stopped; {left} photos not painted", "warning"))
            break
    if not written and not stopped:
        raise InputError(f"none of the {len(photos)} photos in {root} could be painted: {_reasons(failed)}")
    return BatchResult(
        out=out,
        report=report,
        photos=len(photos),
        written=tuple(item["out"] for item in written),
        failed=tuple(failed),
        seconds=time.perf_counter() - started,
        stopped=stopped,
    )


def _reasons(failed: Iterable[tuple[str, str]]) -> str:
    return images.describe_skipped(list(failed)).removeprefix("skipped ")


def _write_report(
    path: Path,
    config: StyleConfig,
    photos: list[Path],
    written: list[dict[str, Any]],
    failed: list[tuple[str, str]],
    stopped: bool,
    started: float,
) -> None:
    runs.write_json(
        path,
        {
            "content": str(config.content),
            "styles": list(config.styles),
            "masks": list(config.masks or ()),
            "photos": len(photos),
            "written": written,
            "failed": [{"photo": photo, "reason": reason} for photo, reason in failed],
            "stopped": stopped,
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
