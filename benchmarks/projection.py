"""Projection quality: how much nearer than chance ``artgen project`` finds held-out pictures.

For each picture of a folder the generator was not trained on (but on others like them), the
perceptual distance (:mod:`artgen.project.distance`, the distance the projection minimises,
without its pixel term) of (a) the reconstruction ``artgen project`` finds, with its defaults
unless told otherwise, and (b) the nearest of 1,000 random latents' pictures. Target: the
mean of (a) at most 0.7 times the mean of (b). Prints one table row, as in docs/benchmarks.md,
with the CPU seconds of the projection (every thread of this process, CPU-s a picture).

Run from the repository root:

    nice python benchmarks/projection.py --images .data/emoji-heldout --label emoji
    nice python benchmarks/projection.py --model runs/fashion2k --images .data/fashion2k-test \\
        --count 50 --label fashion

``--count N`` takes N pictures spread evenly over the folder's sorted files. ``--picture P``
also writes the side-by-side PNG of the pictures and their reconstructions.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = (
    "| pictures | generator | nearest of {random} random | projection | ratio | per-picture ratio, median "
    "(worst) | CPU-s a picture | target |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pictures(folder: str, count: int | None) -> list[str]:
    from artgen.images import image_files

    found = sorted(image_files(folder))
    if count is not None and count < len(found):
        found = [found[i] for i in np.linspace(0, len(found) - 1, count).round().astype(int)]
    return [str(path) for path in found]


def _features(forward, inputs: np.ndarray, batch: int) -> list[np.ndarray]:
    parts = [[np.asarray(f) for f in forward(inputs[i : i + batch])] for i in range(0, len(inputs), batch)]
    return [np.concatenate(layer) for layer in zip(*parts, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="generator .keras file or run directory (default: the bundled one)")
    parser.add_argument("--images", required=True, help="folder of held-out pictures")
    parser.add_argument("--count", type=int, help="pictures taken from the folder (default: all)")
    parser.add_argument("--random", type=int, default=1000, help="random latents of the baseline")
    parser.add_argument("--random-seed", type=int, default=12345, help="their seed (not the projection's)")
    parser.add_argument("--steps", type=int, help="projection steps (default: artgen project's)")
    parser.add_argument("--restarts", type=int, help="projection restarts (default: artgen project's)")
    parser.add_argument("--label", default="", help="the table's first column")
    parser.add_argument("--picture", help="also write the side-by-side PNG here")
    args = parser.parse_args()

    from artgen import images
    from artgen.generators import sampling
    from artgen.generators.locate import describe, resolve_model
    from artgen.project import ProjectConfig, distance, search
    from artgen.project.engine import find_latents, read_pictures, side_by_side
    from artgen.vgg import build_features

    model = resolve_model(args.model)
    generator = sampling.load_generator(model)
    paths = _pictures(args.images, args.count)
    pictures = read_pictures(paths, int(generator.output_shape[1]))
    targets = pictures.astype(np.float32) / 127.5 - 1.0
    effort = {key: value for key, value in (("steps", args.steps), ("restarts", args.restarts)) if value}
    config = ProjectConfig(images=tuple(paths), **effort)
    vgg = build_features("vgg16", distance.LAYERS)
    backend = search.backend()
    of_pictures = backend.compiled(generator, vgg, lambda g, v, x: distance.features(v, x))
    of_latents = backend.compiled(generator, vgg, lambda g, v, z: distance.features(v, g(z, training=False)))
    wanted = _features(of_pictures, targets, config.batch_size)

    started, wall = _cpu(), time.perf_counter()
    found = find_latents(generator, pictures, config)
    projected_cpu, projected_wall = _cpu() - started, time.perf_counter() - wall
    assert found is not None
    made = _features(of_pictures, found.reconstructions.astype(np.float32) / 127.5 - 1.0, config.batch_size)
    projected = np.diag(distance.pairwise(made, wanted))

    z = sampling.latents(args.random, sampling.latent_dim(generator), args.random_seed)
    nearest = np.full(len(pictures), np.inf)
    for i in range(0, args.random, config.batch_size):
        chunk = distance.pairwise(
            _features(of_latents, z[i : i + config.batch_size], config.batch_size), wanted
        )
        nearest = np.minimum(nearest, chunk.min(axis=0))

    ratios = projected / nearest
    for count in range(1, config.restarts + 1):  # the nearest starts alone: what fewer restarts find
        ratio = found.tried[:, :count].min(axis=1).mean() / nearest.mean()
        print(f"# the nearest {count} start(s) alone, measured while searching: ratio {ratio:.2f}")
    met = "met" if projected.mean() <= 0.7 * nearest.mean() else "not met"
    if args.picture:
        images.save_png(args.picture, side_by_side(pictures, found.reconstructions))
    effort_text = f"{config.steps} steps x {config.restarts} restarts"
    print(f"# {args.label}: {len(paths)} pictures from {args.images}, {describe(model)}, {effort_text}")
    print(f"# projection: {projected_cpu:.0f} CPU-s, {projected_wall:.0f} s wall")
    print(HEADER.format(random=f"{args.random:,}"))
    print(
        f"| {args.label} ({len(paths)}) | {Path(model).name} | {nearest.mean():.3f} | {projected.mean():.3f} "
        f"| **{projected.mean() / nearest.mean():.2f}** | {np.median(ratios):.2f} ({ratios.max():.2f}) "
        f"| {projected_cpu / len(paths):.1f} | ≤ 0.7: {met} |"
    )


if __name__ == "__main__":
    main()
