"""Validate artgen's FD/KID before trusting it: figures for docs/benchmarks.md.

For a real folder, scores against one half of it (N images): the other half (should be
near 0), the same images blurred, one class only (Fashion-MNIST), uniform noise, flat grey
with faint noise (what an untrained DCGAN draws), and one image repeated N times (a fully
collapsed generator). Prints FD, KID ± standard error, precision and recall (k-NN
manifolds, k=3: the other half should be near 1/1, noise near 0/0, a repeated image high
precision and recall near 0), and the relative diversity (mean pairwise feature distance /
the data's).

    python benchmarks/quality_metric.py [--n 500] [--folders fashion:32 emoji:64]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from artgen import images as image_io  # noqa: E402
from artgen import quality  # noqa: E402

DATA = Path(os.environ.get("ARTGEN_DATA", Path(__file__).resolve().parent.parent / ".data"))


def _blur(images: np.ndarray) -> np.ndarray:
    from PIL import Image, ImageFilter

    return np.stack([np.asarray(Image.fromarray(i).filter(ImageFilter.GaussianBlur(1.5))) for i in images])


def validate(folder: Path, size: int, n: int) -> None:
    data = image_io.load_folder(folder, size).images
    order = np.random.default_rng(1).permutation(len(data))
    half, other = data[order[:n]], data[order[n : 2 * n]]
    started = time.process_time()
    reference = quality.extract(half)
    per_image = (time.process_time() - started) / n
    base = quality.diversity(reference)
    sets = {
        "other half": other,
        "blurred (radius 1.5)": _blur(other),
        "noise": np.random.default_rng(2).integers(0, 256, other.shape, dtype=np.uint8),
        "grey, faint noise": np.clip(
            127.5 + np.random.default_rng(3).normal(0, 10, other.shape), 0, 255
        ).astype(np.uint8),
        "one image repeated": np.repeat(other[:1], n, axis=0),
    }
    classes = sorted(p for p in folder.iterdir() if p.is_dir())
    if classes:
        sets["one class only"] = image_io.load_folder(classes[0], size).images[:n]
    print(f"{folder.name} at {size} px, {n} vs {n} images, {1000 * per_image:.1f} CPU-ms per image:")
    for name, images in sets.items():
        features = quality.extract(images)
        score = quality.score(features, reference)
        relative = quality.diversity(features) / base
        print(
            f"  {name:22s} FD {score.fd:9.2f}   KID {score.kid:8.4f} ± {score.kid_se:.4f}   "
            f"precision {score.precision:.3f}   recall {score.recall:.3f}   diversity {relative:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--folders", nargs="+", default=["fashion:32", "emoji:64"])
    args = parser.parse_args()
    for item in args.folders:
        name, size = item.split(":")
        validate(DATA / name, int(size), args.n)


if __name__ == "__main__":
    main()
