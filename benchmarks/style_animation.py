"""Stylised animations: temporally stable against independent per-frame painting, and a stylised walk.

Two figures of stylised animation, measured in one process so the shared machine's
load hits both sides alike:

* flicker (mean |out_t - out_t-1| over mean |in_t - in_t-1|) of the stable
  path (each frame from the last one's result, temporal term) against
  independent frames (``--temporal-weight 0``: every frame a cold start), at
  their per-frame score (content + style + tv, the still's own loss, lower is
  better). Target: stable flicker <= 0.5 x independent at equal score. Beside
  it, flicker along the flow (the output's change that the input's motion does
  not explain) and the flicker of a painting that did nothing but follow the
  input's motion: the least any output that moves with the camera can show.
* a 48-frame 128 px stylised latent walk from the bundled generator: wall and
  CPU seconds (CPU / cores, for a machine shared with other work), and the
  flicker of each frame pair where the loop closes (the lap's end, the
  repainted first frames, the file's last frame -> first) against the other
  frame pairs' (mean, deviation, largest). Targets: <= 3 minutes on this CPU;
  the closing pairs no more than the largest other pair.

The clip (:func:`make_clip`) is made from scikit-image's photos
(scikit-image is installed for benchmarks only): ``--clip scene`` (a still
camera, an object moving through) or ``--clip pan`` (every pixel moves). The
pan follows one camera path over ``--frames``: 10 frames move about 5 px a
frame at 128 px (a whip pan), 80 frames about 0.5 px (a slow one).

    python benchmarks/style_animation.py                 # both, defaults
    python benchmarks/style_animation.py --only clip --frames 12
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from PIL import Image

STYLE = Path(__file__).resolve().parent.parent / "artgen" / "bundled" / "styles" / "starry_night.jpg"


def make_clip(folder: Path, frames: int, size: int, kind: str = "scene") -> Path:
    """A synthetic clip as PNG frames (lossless), from scikit-image's photos.

    ``scene``: a still camera, something moving through it: the coffee cup
    slides across the cat photo (most of the picture stands still, as in
    most footage). ``pan``: the camera pans across and zooms slowly into the
    astronaut photo (every pixel moves).
    """
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    if kind == "pan":
        photo = Image.fromarray(data.astronaut())
    else:
        background = Image.fromarray(data.chelsea()).resize((size * 3 // 2, size), Image.Resampling.LANCZOS)
        background = background.crop((size // 4, 0, size // 4 + size, size))
        cup = Image.fromarray(data.coffee()).resize((size * 3 // 8, size // 4), Image.Resampling.LANCZOS)
    for index in range(frames):
        t = index / max(frames - 1, 1)
        if kind == "pan":
            side = 300 - 60 * t  # zoom in by a fifth
            left, top = 60 + 90 * t, 40 + 20 * t  # pan right and down
            box = (left, top, left + side, top + side)
            frame = photo.resize((size, size), Image.Resampling.LANCZOS, box=box)
        else:
            frame = background.copy()
            frame.paste(cup, (round(t * (size - cup.width)), size * 5 // 8))
        frame.save(folder / f"frame-{index:03d}.png")
    return folder


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn):
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def clip_figures(args, work: Path) -> dict:
    from artgen.style import stylise
    from artgen.style.config import StyleConfig

    clip = make_clip(work / f"clip-{args.clip}", args.frames, args.size, args.clip)
    rows = {}
    short = max(1, args.iterations // 4)
    for name, overrides in (
        ("independent", {"temporal_weight": 0.0}),
        # fewer steps: a worse score, to see the flicker of independent frames at the stable path's score
        (f"independent-{short}", {"temporal_weight": 0.0, "iterations": short}),
        ("stable", {} if args.temporal_weight is None else {"temporal_weight": args.temporal_weight}),
    ):
        if args.frame_iterations and name == "stable":
            overrides["frame_iterations"] = args.frame_iterations
        settings = dict(size=args.size, iterations=args.iterations, scales=args.scales, preview_every=0)
        config = StyleConfig(
            content=str(clip),
            styles=(str(STYLE),),
            out=str(work / f"{args.clip}-{name}-frames"),
            sequence=True,
            **{**settings, **overrides},
        )
        result, wall, cpu = timed(lambda config=config: stylise(config))
        rows[name] = {
            "flicker": result.flicker,
            "warped_flicker": result.warped_flicker,
            "following_flicker": following_flicker(clip, result.out),
            "score": result.score,
            "wall_s": wall,
            "cpu_s": cpu,
            "temporal_weight": config.temporal_weight,
            "iterations": config.iterations,
            "frame_iterations": config.frame_iterations,
        }
        print(name, json.dumps(rows[name]), flush=True)
    rows["stable"]["flow_s"] = flow_seconds(clip)
    stable, independent = rows["stable"], rows["independent"]
    for name in ("independent", f"independent-{short}"):
        row = rows[name]
        print(
            f"{args.clip} clip: stable/{name} flicker {stable['flicker'] / row['flicker']:.2f}, "
            f"along the flow {stable['warped_flicker'] / row['warped_flicker']:.2f}, "
            f"score {stable['score'] / row['score']:.2f}",
            flush=True,
        )
    print(
        f"{args.clip} clip, {args.frames} frames {args.size}px: flicker stable/independent "
        f"{stable['flicker'] / independent['flicker']:.2f} (target <= 0.5; a painting that only moved "
        f"with the input: {stable['following_flicker']:.2f} / {independent['flicker']:.2f} = "
        f"{stable['following_flicker'] / independent['flicker']:.2f}); along the flow "
        f"{stable['warped_flicker'] / independent['warped_flicker']:.2f}; "
        f"score stable/indep. {stable['score'] / independent['score']:.2f} (1 = equal, lower is better); "
        f"CPU stable/independent {stable['cpu_s'] / independent['cpu_s']:.2f}; "
        f"wall s per frame: stable {stable['wall_s'] / args.frames:.1f}, "
        f"of which flow {stable['flow_s']:.3f}",
        flush=True,
    )
    return rows


def following_flicker(clip: Path, painted: Path) -> float:
    """The flicker a painting would have that moved exactly with the input (each frame the last one
    warped along the flow): the least that any output following the camera can show under the raw
    measure, however stable. Near or above 1 where every pixel moves: strokes have more contrast
    than the photo."""
    import numpy as np

    from artgen.style import flow

    def frames(folder: Path) -> list[np.ndarray]:
        return [np.asarray(Image.open(p).convert("RGB"), np.float32) for p in sorted(folder.glob("*.png"))]

    inputs, outputs = frames(clip), frames(painted)
    moved = input_change = 0.0
    for index in range(1, len(inputs)):
        motion = flow.between(inputs[index - 1], inputs[index])
        moved += float(np.mean(np.abs(motion.warp(outputs[index - 1]) - outputs[index - 1])))
        input_change += float(np.mean(np.abs(inputs[index] - inputs[index - 1])))
    return moved / input_change


def flow_seconds(clip: Path) -> float:
    """Seconds to find the motion between two consecutive frames, as the stable path does per frame."""
    import numpy as np

    from artgen.style import flow

    first, second = (
        np.asarray(Image.open(p).convert("RGB"), np.float32) for p in sorted(clip.glob("*.png"))[:2]
    )
    flow.between(first, second)  # OpenCV's first call sets up its threads
    started = time.perf_counter()
    for _ in range(5):
        flow.between(first, second)
    return (time.perf_counter() - started) / 5


def walk_figures(args, work: Path) -> dict:
    from artgen.walk.config import WalkConfig
    from artgen.walk.engine import render_walk

    config = WalkConfig(
        out=str(work / "walk.gif"), frames=args.walk_frames, size=args.size, style=str(STYLE), fps=24
    )
    result, wall, cpu = timed(lambda: render_walk(config))
    cores = os.cpu_count() or 1
    mean, spread, largest = result.flicker_pairs
    row = {
        "frames": result.frames,
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_per_core_s": cpu / cores,
        "flicker": result.flicker,
        "seam_flicker": result.seam_flicker,
        "flicker_pairs": result.flicker_pairs,
        "load_before": args.load,
    }
    print("walk", json.dumps(row), flush=True)
    print(
        f"stylised walk {args.walk_frames} frames {args.size}px: {wall:.0f} s wall, "
        f"{cpu / cores:.0f} s CPU/{cores} cores (target <= 180 s); "
        f"flicker {result.flicker:.2f}; frame pairs' own {mean:.2f} +- {spread:.2f}, at most {largest:.2f}; "
        f"where the loop closes at most {result.seam_flicker:.2f} (target: no more than the pairs' largest)",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("clip", "walk"))
    parser.add_argument("--clip", choices=("scene", "pan"), default="scene")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--walk-frames", type=int, default=48)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=40, help="per scale, for every cold frame")
    parser.add_argument("--scales", type=int, default=2)
    parser.add_argument("--temporal-weight", type=float)
    parser.add_argument("--frame-iterations", type=int)
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    print(f"load average before: {args.load:.1f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="artgen-bench-anim-") as tmp:
        if args.only in (None, "clip"):
            clip_figures(args, Path(tmp))
        if args.only in (None, "walk"):
            walk_figures(args, Path(tmp))
    print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
