#!/usr/bin/env python3
"""Export Fashion-MNIST (Zalando, MIT licence) to class folders of PNGs for ``artgen classify``.

The dataset is Debian's ``dataset-fashion-mnist`` package: four gzipped IDX files.
Nothing here needs the network beyond fetching that package once::

    apt-get update && apt-get download dataset-fashion-mnist
    dpkg -x dataset-fashion-mnist_*.deb /tmp/fmnist
    python scripts/export_fashion_mnist.py --source /tmp/fmnist/usr/share/datasets/fashion-mnist

writes ``.data/fashion/<class>/train-NNNNN.png`` (the 60,000 training images) and
``.data/fashion-test/<class>/test-NNNNN.png`` (the 10,000 test images, for an
accuracy on images the classifier never saw in any split). ``--per-class N`` keeps
the first N images of each class from each file, for quick experiments. Output
folders must not exist yet (nothing is overwritten); every PNG is written atomically.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from artgen.images import save_png

CLASSES = (
    "t-shirt-top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle-boot",
)
FILES = {"train": "train", "test": "t10k"}
DEFAULT_SOURCE = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX file as a uint8 array: (N, 28, 28) images (magic 2051) or (N,) labels (2049)."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise SystemExit(f"{path}: not an IDX file of the expected kind (magic {found}, wanted {magic})")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(magic & 0xFF)]
    offset = 4 + 4 * len(dims)
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def export(source: Path, split: str, out: Path, per_class: int | None) -> int:
    images = read_idx(source / f"{FILES[split]}-images-idx3-ubyte.gz", 2051)
    labels = read_idx(source / f"{FILES[split]}-labels-idx1-ubyte.gz", 2049)
    if len(images) != len(labels):
        raise SystemExit(f"{source}: {len(images)} images but {len(labels)} labels in the {split} files")
    chosen = np.arange(len(labels))
    if per_class is not None:
        chosen = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(len(CLASSES))])
    for name in CLASSES:
        (out / name).mkdir(parents=True)

    def write(index: int) -> None:
        save_png(out / CLASSES[labels[index]] / f"{split}-{index:05d}.png", images[index])

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, chosen))
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the .gz IDX files")
    parser.add_argument("--out", type=Path, default=Path(".data/fashion"), help="training image folders")
    parser.add_argument(
        "--test-out",
        type=Path,
        default=Path(".data/fashion-test"),
        help="class folders of test images ('' to skip)",
    )
    parser.add_argument("--per-class", type=int, help="keep only the first N images of each class")
    args = parser.parse_args(argv)
    if not (args.source / "train-images-idx3-ubyte.gz").is_file():
        print(f"export_fashion_mnist: no Fashion-MNIST files in {args.source}; see --help", file=sys.stderr)
        return 2
    targets = [("train", args.out)] + ([("test", args.test_out)] if str(args.test_out) else [])
    for _, out in targets:
        if out.exists():
            print(f"export_fashion_mnist: {out} exists; remove it or choose another folder", file=sys.stderr)
            return 2
    for split, out in targets:
        count = export(args.source, split, out, args.per_class)
        print(f"{split}: {count} images in {len(CLASSES)} class folders under {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
