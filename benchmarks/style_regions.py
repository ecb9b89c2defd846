"""Regions and batches: what ``--mask`` costs and keeps, and what a batch saves.

(a) ``--mask``: the astronaut painted in Starry Night outside an ellipse around
the person, against the same run without a mask, in this process. Prints the
time ratio (target: a mask costs at most 1.2 times the plain run) and how much
of the photo the unpainted region keeps (target: the pixels beyond the
feathered edge within 1 level of 255 of the photo), and how much the painted
region changed. Writes the side-by-side figure of docs/style.md.

(b) A batch: the three sample photos as one folder, against three separate
``transfer`` calls in this process (so the batch's saving is the style
targets it shares, not a process's start). Prints the style-target
computations of each (target: one per scale for the batch) and the time ratio.

Run from the repository root:

    nice python benchmarks/style_regions.py --size 384             # (a) and (b)
    python benchmarks/style_regions.py --only cost --size 384      # a mask's cost per evaluation
    nice python benchmarks/style_regions.py --size 384 --figure docs/images/style_masked.png

The machine is shared: compare the ratios, measured side by side, not the times.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artgen import vgg  # noqa: E402
from artgen.style import StyleConfig, engine, transfer  # noqa: E402
from artgen.style.batch import paint_folder  # noqa: E402
from artgen.style.pictures import fit_size, resized  # noqa: E402
from artgen.style.regions import RegionMasks  # noqa: E402

SAMPLES = ROOT / "artgen" / "bundled" / "samples"
STARRY = ROOT / "artgen" / "bundled" / "styles" / "starry_night.jpg"


def person_mask(path: Path, size: tuple[int, int]) -> Path:
    """Black (the photo) in an ellipse around the astronaut, white (the painting) around her."""
    width, height = size
    mask = Image.new("L", size, 255)
    ImageDraw.Draw(mask).ellipse([0.10 * width, 0.02 * height, 0.66 * width, 1.25 * height], fill=0)
    mask.save(path)
    return path


def masked(args: argparse.Namespace, work: Path) -> None:
    photo = SAMPLES / "astronaut.jpg"
    with Image.open(photo) as im:
        mask = person_mask(work / "mask.png", im.size)
    common = dict(size=args.size, iterations=args.iterations, scales=args.scales, preview_every=0)
    runs = {}
    for name, extra in (("plain", {}), ("masked", {"masks": (str(mask),)})):
        config = StyleConfig(str(photo), (str(STARRY),), out=str(work / f"{name}.png"), **common, **extra)
        started = time.perf_counter()
        result = transfer(config)
        runs[name] = (time.perf_counter() - started, result, config)
    seconds = {name: run[0] for name, run in runs.items()}
    print(f"(a) --size {args.size}: plain {seconds['plain']:.1f} s, masked {seconds['masked']:.1f} s, ")
    print(f"    ratio {seconds['masked'] / seconds['plain']:.2f} (target <= 1.2)")
    result, config = runs["masked"][1], runs["masked"][2]
    picture = np.asarray(Image.open(result.out).convert("RGB"), dtype=np.float32)
    with Image.open(photo) as im:
        reference = resized(im.convert("RGB"), result.size)
    weight = RegionMasks.load(config, result.size).union(result.size)
    difference = np.abs(picture - reference).mean(axis=2)
    kept, painted = difference[weight == 0], difference[weight > 0.99]
    print(
        f"    unpainted region ({kept.size} px): max |out - photo| {kept.max():.1f}, mean {kept.mean():.3f}"
    )
    print(
        f"    painted region ({painted.size} px): mean |picture - photo| {painted.mean():.1f} levels of 255"
    )
    if args.figure:
        figure(Path(args.figure), reference, work / "mask.png", picture)


def cost(args: argparse.Namespace, work: Path) -> None:
    """A mask's cost per loss-and-gradient evaluation, the two kinds interleaved so load hits both alike."""
    from artgen.style.engine import Scale
    from artgen.style.losses import Weights
    from artgen.style.objective import make_value_and_grad
    from artgen.style.pictures import load_image

    photo = SAMPLES / "astronaut.jpg"
    with Image.open(photo) as im:
        mask = person_mask(work / "mask.png", im.size)
    model = vgg.build_features("vgg16")
    content, styles = load_image(photo), [load_image(STARRY)]
    config = StyleConfig(str(photo), (str(STARRY),), size=args.size, masks=(str(mask),))
    regions = RegionMasks.load(config, fit_size(*content.size, args.size))
    functions, x = {}, None
    for name, region in (("plain", None), ("masked", regions)):
        scale = Scale(config, model, content, styles, args.size, None, region)
        functions[name] = make_value_and_grad(model, scale.targets, Weights(1, 10, 1), scale.shape)
        x = vgg.preprocess(scale.content_rgb).ravel().astype(np.float64)
        functions[name](x)  # compile
    times = {name: [] for name in functions}
    for _ in range(args.evaluations):
        for name, function in functions.items():
            started = time.perf_counter()
            function(x)
            times[name].append(time.perf_counter() - started)
    plain, masked = (float(np.median(times[name])) for name in ("plain", "masked"))
    print(f"(a) one evaluation at {args.size} px, median of {args.evaluations} interleaved:")
    print(f"    plain {plain:.3f} s, masked {masked:.3f} s, ratio {masked / plain:.2f} (target <= 1.2)")


def figure(path: Path, photo: np.ndarray, mask: Path, picture: np.ndarray) -> None:
    """Photo, mask and result side by side, each at 256 px high, as a PNG."""
    height = 256
    panels = [Image.fromarray(photo.astype(np.uint8)), Image.open(mask).convert("RGB")]
    panels.append(Image.fromarray(picture.astype(np.uint8)))
    panels = [
        p.resize((round(p.width * height / p.height), height), Image.Resampling.LANCZOS) for p in panels
    ]
    canvas = Image.new("RGB", (sum(p.width for p in panels) + 8 * (len(panels) - 1), height), "white")
    x = 0
    for panel in panels:
        canvas.paste(panel, (x, 0))
        x += panel.width + 8
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, optimize=True)
    print(f"    figure: {path} ({path.stat().st_size / 1000:.0f} KB)")


def batch(args: argparse.Namespace, work: Path) -> None:
    folder = work / "photos"
    folder.mkdir()
    for name in ("astronaut", "chelsea", "coffee"):
        shutil.copy(SAMPLES / f"{name}.jpg", folder)
    common = dict(size=args.size, iterations=args.iterations, scales=args.scales, preview_every=0)
    calls = []
    real = engine.style_grams

    def counted(*arguments):
        calls.append(1)
        return real(*arguments)

    engine.style_grams = counted
    vgg.build_features("vgg16")  # built once per process: paid before either side is timed
    try:
        started = time.perf_counter()
        for photo in sorted(folder.iterdir()):
            transfer(
                StyleConfig(str(photo), (str(STARRY),), out=str(work / f"one-{photo.stem}.png"), **common)
            )
        separate, separate_calls = time.perf_counter() - started, len(calls)
        calls.clear()
        started = time.perf_counter()
        config = StyleConfig(str(folder), (str(STARRY),), out=str(work / "batch"), **common)
        result = paint_folder(config, lambda event: None, lambda: False)
        together, batch_calls = time.perf_counter() - started, len(calls)
    finally:
        engine.style_grams = real
    print(
        f"(b) 3 photos at {args.size} px, {len(config.scale_sizes())} scales: {len(result.written)} written"
    )
    print(
        f"    style targets computed: separate {separate_calls}, batch {batch_calls} (target: one per scale)"
    )
    print(f"    separate {separate:.1f} s, batch {together:.1f} s, ratio {together / separate:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--iterations", type=int, default=80)
    parser.add_argument("--scales", type=int, default=3)
    parser.add_argument("--figure", help="write docs/style.md's photo | mask | result figure here")
    parser.add_argument("--evaluations", type=int, default=10, help="for --only cost")
    parser.add_argument("--only", choices=("masked", "cost", "batch"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="artgen-regions-") as name:
        work = Path(name)
        if args.only in (None, "masked"):
            masked(args, work)
        if args.only in (None, "cost"):
            cost(args, work)
        if args.only in (None, "batch"):
            batch(args, work)


if __name__ == "__main__":
    main()
