"""Seamless textures: ``artgen texture`` at 256 px against the ≤ 60 s target, and the seam it leaves.

(a) ``artgen texture STYLE --size 256`` with the defaults, in a fresh process
as a user runs it: wall time, the process's CPU time, and that CPU time over
the machine's 2 cores (what the run would take alone on it, since TensorFlow
keeps both busy), with the load average beside them: this machine is shared,
so wall time alone says little. The seam measure of the result
(:mod:`artgen.style.seamless`); with ``--compare``, the same run with
``--no-seamless`` for the seam a texture has without wrapping.
(b) What wrapping costs: one VGG16 forward and backward pass at 256 px with
circular padding against the ordinary network, interleaved in one process
and timed in CPU seconds.
(c) With ``--seeds``: line patterns, per seed, in one process: artgen's
texture against the one the previous recipe made (bicubic doubling between
scales, VGG always at one phase of its pooling grid), each with its seam
ratio and rank, ``grid_ratio`` at periods 2 and 16 (the mean step of every
2nd / 16th line over the others', 1 for no pattern), and the style distance
(the Gram term at style weight 1) averaged over 8 shifts of the tile, so
that a picture fitted to one phase of VGG's grid gains nothing by it.

Run from the repository root:

    nice python benchmarks/style_texture.py                 # (a) and (b)
    nice python benchmarks/style_texture.py --compare --tile-image docs/images/texture_2x2.jpg
    nice python benchmarks/style_texture.py --seeds 0 1 2 --skip-timing   # (c) only

Textures go to runs/benchmarks/texture/; ``--tile-image`` also writes the
seamless texture tiled 2x2 (a JPEG, for docs/style.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artgen.style.seamless import calmest_origin, grid_ratio, seam_metric  # noqa: E402

TARGET_SECONDS = 60.0
CORES = 2


def _style(name: str) -> str:
    shared = ROOT.parent / "shared" / "styles" / f"{name}.jpg"
    return str(shared if shared.is_file() else ROOT / "artgen" / "bundled" / "styles" / f"{name}.jpg")


def timed_texture(style: str, out: Path, size: int, extra: list[str]) -> dict:
    """One ``artgen texture`` process: wall and CPU seconds, load averages, and the seam of what it wrote."""
    argv = [sys.executable, "-m", "artgen", "texture", style, "-o", str(out), "--size", str(size)]
    argv += ["--overwrite", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with Image.open(out) as written:
        picture = np.asarray(written.convert("RGB"))
    return {
        "wall": wall,
        "cpu": cpu,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "seam": seam_metric(picture),
        "grid": _grid(picture),
    }


def _grid(picture: np.ndarray) -> str:
    return f"grid ratio {grid_ratio(picture, 2):.3f} (every 2nd line), {grid_ratio(picture):.3f} (every 16th)"


def wrapping_cost(size: int, repeats: int) -> tuple[float, float]:
    """CPU seconds of one VGG16 forward+backward pass at ``size`` px: (ordinary, circular), interleaved."""
    import tensorflow as tf

    from artgen import vgg

    models = [vgg.build_features("vgg16"), vgg.build_features("vgg16", seamless=True)]
    image = tf.constant(np.random.default_rng(0).normal(0, 60, (1, size, size, 3)).astype(np.float32))

    def step(model):
        @tf.function
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.add_n([tf.reduce_mean(tf.square(f)) for f in model(x)])
            return tape.gradient(loss, x)

        return run

    steps = [step(model) for model in models]
    for run in steps:  # trace and warm up
        run(image).numpy()
    totals = [0.0, 0.0]
    for _ in range(repeats):
        for index, run in enumerate(steps):
            started = time.process_time()
            run(image).numpy()
            totals[index] += time.process_time() - started
    return totals[0] / repeats, totals[1] / repeats


def _bicubic_wrap(x: np.ndarray, old: tuple, new: tuple, wrap: bool = False) -> np.ndarray:
    """The previous recipe's doubling: bicubic over the tile padded by wrapping (4 px), cropped."""
    planes = np.pad(x.reshape(old)[0].astype(np.float32), ((4, 4), (4, 4), (0, 0)), mode="wrap")
    box = (4, 4, 4 + old[2], 4 + old[1])
    return np.stack(
        [
            np.asarray(Image.fromarray(np.ascontiguousarray(p), "F").resize((new[2], new[1]), box=box))
            for p in np.moveaxis(planes, -1, 0)
        ],
        axis=-1,
    ).ravel()


def style_distance(picture: np.ndarray, style: str, style_scale: float) -> float:
    """The Gram term (style weight 1) of an RGB tile, averaged over 8 shifts (0, then a spread of phases)."""
    from artgen import vgg
    from artgen.style.losses import Weights, style_grams, targets_for
    from artgen.style.objective import make_value_and_grad
    from artgen.style.pictures import MIN_STYLE_SIDE, fit_size, load_image, resized

    model = vgg.build_features("vgg16", seamless=True)
    side = max(MIN_STYLE_SIDE, round(picture.shape[0] * style_scale))
    painting = load_image(style, side)
    paintings = [vgg.preprocess(resized(painting, fit_size(*painting.size, side)))]
    x = vgg.preprocess(picture.astype(np.float32))
    layer_weights = tuple(vgg.STYLE_LAYERS.values())
    grams = style_grams(vgg.build_features("vgg16"), paintings)
    targets = targets_for(model, x, paintings, (1.0,), layer_weights, grams)
    value = make_value_and_grad(model, targets, Weights(0.0, 1.0, 0.0, True), x.shape)
    shifts = [(0, 0)] + [((5 * i) % 16, (11 * i) % 16) for i in range(1, 8)]
    return float(np.mean([value(np.roll(x, s, axis=(1, 2)).ravel())[2]["style"] for s in shifts]))


def line_patterns(style: str, size: int, seeds: list[int], folder: Path, variants: list[str]) -> None:
    """(c): per seed, artgen's texture and the previous recipe's, in this process."""
    from unittest import mock

    from artgen.style import texture
    from artgen.style.config import TextureConfig

    before = {
        "_upsample": _bicubic_wrap,
        "segments": lambda iterations: [iterations],
        "calmest_origin": lambda picture: (0, 0),  # the tile as synthesised, its origin unchosen
    }
    before_jitter = mock.patch.object(texture.Jitter, "shift", lambda self, paired=False: (0, 0))
    for seed in seeds:
        for name in variants:
            out = folder / f"{Path(style).stem}_{size}_seed{seed}_{name}.png"
            config = TextureConfig(
                (style,), out=str(out), overwrite=True, size=size, seed=seed, preview_every=0
            )
            origins = []

            def recorded(picture, origins=origins):
                origins.append(calmest_origin(picture))
                return origins[-1]

            with contextlib.ExitStack() as patches:
                if name == "before":
                    patches.enter_context(mock.patch.multiple(texture, **before))
                    patches.enter_context(before_jitter)
                else:
                    patches.enter_context(mock.patch.object(texture, "calmest_origin", recorded))
                started = time.process_time()
                texture.synthesise(config)
                cpu = time.process_time() - started
            with Image.open(out) as written:
                picture = np.asarray(written.convert("RGB"))
            as_synthesised = ""
            if origins:  # the seam where the synthesis left it, before the writer chose the origin
                rows, columns = origins[0]
                own = seam_metric(np.roll(picture, (-rows, -columns), axis=(0, 1)))
                as_synthesised = f" (at the synthesis's own origin: {own.describe()}; moved by {origins[0]})"
            distance = style_distance(picture, style, config.style_scale)
            print(
                f"seed {seed} {name:6}: {seam_metric(picture).describe()}{as_synthesised}; {_grid(picture)}; "
                f"style distance {distance:.4f}; {cpu:.0f} CPU s; {out}",
                flush=True,
            )


def tile_2x2(path: Path, out: Path) -> None:
    with Image.open(path) as texture:
        picture = texture.convert("RGB")
    width, height = picture.size
    tiled = Image.new("RGB", (2 * width, 2 * height))
    for left in (0, width):
        for top in (0, height):
            tiled.paste(picture, (left, top))
    out.parent.mkdir(parents=True, exist_ok=True)
    tiled.save(out, quality=88)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--compare", action="store_true", help="also a --no-seamless run, for its seam")
    parser.add_argument("--repeats", type=int, default=5, help="passes per network in (b)")
    parser.add_argument("--tile-image", type=Path, help="write the seamless texture tiled 2x2 here")
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="(c) for these seeds")
    parser.add_argument("--variants", nargs="+", default=["artgen", "before"], choices=["artgen", "before"])
    parser.add_argument("--skip-timing", action="store_true", help="leave out (a) and (b)")
    args = parser.parse_args()

    folder = ROOT / "runs" / "benchmarks" / "texture"
    folder.mkdir(parents=True, exist_ok=True)
    style = _style(args.style)
    if args.seeds:
        line_patterns(style, args.size, args.seeds, folder, args.variants)
    if args.skip_timing:
        return
    runs = [("seamless", [])] + ([("no-seamless", ["--no-seamless"])] if args.compare else [])
    for name, extra in runs:
        out = folder / f"{args.style}_{args.size}_{name}.png"
        row = timed_texture(style, out, args.size, extra)
        alone = row["cpu"] / CORES
        verdict = "met" if alone <= TARGET_SECONDS else "not met"
        print(
            f"texture {args.size} px ({name}): wall {row['wall']:.1f} s, CPU {row['cpu']:.1f} s "
            f"(/{CORES} cores = {alone:.1f} s; target <= {TARGET_SECONDS:.0f} s: {verdict}), "
            f"load average {row['load_before']:.1f} -> {row['load_after']:.1f}; "
            f"{row['seam'].describe()}; {row['grid']}; {out}",
            flush=True,
        )
        if name == "seamless" and args.tile_image:
            tile_2x2(out, args.tile_image)
            print(f"tiled 2x2: {args.tile_image} ({args.tile_image.stat().st_size // 1024} KB)")
    ordinary, circular = wrapping_cost(args.size, args.repeats)
    print(
        f"VGG16 forward+backward at {args.size} px: ordinary {ordinary:.3f} CPU s, circular padding "
        f"{circular:.3f} CPU s (ratio {circular / ordinary:.2f}, {args.repeats} interleaved passes each)"
    )


if __name__ == "__main__":
    main()
