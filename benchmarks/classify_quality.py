#!/usr/bin/env python3
"""Held-out accuracy of ``artgen classify`` with its default flags, against the defaults it had before.

Three datasets nobody here wrote, each split into a training folder (what
``artgen classify train`` sees; it holds out its own validation split) and a
test folder that no run ever sees:

* ``digits``: scikit-learn's 1,797 bundled 8x8 digits, upscaled to 32 px; 30% test.
  Target: >= 97% test accuracy.
* ``fashion``: 1,000 Fashion-MNIST training images per class (10,000), scored on
  the official 10,000 test images. Target: >= 90% within 10 minutes on a CPU.
* ``emoji``: Noto Color Emoji (64 px, colour) in five categories read from their
  Unicode code points (faces, animals, food, transport, people), ~100 images per
  class; 30% test. Target: a clear gain over the old defaults.

Each run trains in a child process with only ``--size`` set (the images' own
size, so both versions see the same pixels); the reference is the classifier
code at ``--baseline`` (git archive of the commit before transfer learning),
run the same way on the same folders, in the same session::

    nice .venv/bin/python benchmarks/classify_quality.py                 # all three, both versions
    nice .venv/bin/python benchmarks/classify_quality.py digits --versions new

Prints one line per run and a table; ``--json PATH`` writes the figures.
Wall times include decoding and feature extraction; the folders' decoded
arrays are cached by artgen, so a second run starts sooner. On a shared
machine the wall time says more about the neighbours than about artgen, so
the table also gives the child's CPU time divided by the cores: the wall
time the run would take with the machine to itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
BASELINE = "fd8865e"  # the version before transfer learning: small CNN, flips, 150 px default
DATA = Path(os.environ.get("ARTGEN_DATA", REPO / ".data"))
SIZES = {"digits": 32, "fashion": 28, "emoji": 64}
TARGETS = {"digits": ">= 0.97", "fashion": ">= 0.90 in <= 10 min", "emoji": "clear gain over old"}
EMOJI_GROUPS = {
    "faces": [(0x1F600, 0x1F637), (0x1F910, 0x1F92F), (0x1F970, 0x1F976), (0x1F97A, 0x1F97A)],
    "animals": [(0x1F400, 0x1F43F), (0x1F980, 0x1F9AE)],
    "food": [(0x1F345, 0x1F37F), (0x1F950, 0x1F96F), (0x1FAD0, 0x1FADB)],
    "transport": [(0x1F680, 0x1F6C5), (0x1F6E0, 0x1F6FF)],
}
PEOPLE = (0x1F468, 0x1F469, 0x1F9D1)  # man, woman, person: ZWJ sequences with a job or a role

# Runs in the child: train with defaults and --size, then score the test folder.
CHILD = """
import json, sys, time
import numpy as np
from artgen.images import list_images
from artgen.labs.classify import ClassifyConfig, train_classifier, predict, load_classifier
train_dir, test_dir, size, run_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
started = time.perf_counter()
result = train_classifier(ClassifyConfig(data_dir=train_dir, size=size, run_dir=run_dir))
seconds = time.perf_counter() - started
classifier = load_classifier(result.model_path)
files = list_images(test_dir)
truth = np.array([classifier.classes.index(path.parent.name) for path in files])
guesses = np.array([classifier.classes.index(p.label) for p in predict(classifier, files, batch_size=256)])
report = json.loads((result.run_dir / "report.json").read_text())
print("RESULT " + json.dumps({
    "test_accuracy": float(np.mean(guesses == truth)), "val_accuracy": result.val_accuracy,
    "train_seconds": seconds, "epochs": result.epochs, "stop_reason": result.stop_reason,
    "base": report.get("base", "none (old)"), "size": size, "test_images": len(files),
    "train_images": result.train_count, "val_images": result.val_count,
    "model_mb": result.model_path.stat().st_size / 1e6,
}))
"""


def stratified_test_split(labels: np.ndarray, share: float, seed: int = 0) -> np.ndarray:
    """A boolean mask of test items: ``share`` of each class, seeded."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test[members[: round(len(members) * share)]] = True
    return test


def export_digits(root: Path, data: Path) -> tuple[Path, Path]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    test = stratified_test_split(digits.target, 0.3)
    for index, (pixels, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        split = "test" if test[index] else "train"
        folder = root / split / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        grey = Image.fromarray((pixels * (255 / 16)).astype(np.uint8))
        grey.resize((SIZES["digits"],) * 2, Image.Resampling.BILINEAR).save(folder / f"{index:04d}.png")
    return root / "train", root / "test"


def export_fashion(root: Path, data: Path, per_class: int = 1000) -> tuple[Path, Path]:
    source = data / "fashion"
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        target = root / "train" / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.glob("*.png"))[:per_class]:
            (target / path.name).symlink_to(path)
    return root / "train", data / "fashion-test"


def emoji_group(name: str) -> str | None:
    points = [int(part.lstrip("u"), 16) for part in name.split("_")]
    if len(points) == 1:
        for group, ranges in EMOJI_GROUPS.items():
            if any(low <= points[0] <= high for low, high in ranges):
                return group
    elif 0x200D in points and points[0] in PEOPLE:
        return "people"
    return None


def export_emoji(root: Path, data: Path) -> tuple[Path, Path]:
    files = [(path, emoji_group(path.stem)) for path in sorted((data / "emoji").glob("*.png"))]
    files = [(path, group) for path, group in files if group]
    groups = sorted({group for _, group in files})
    test = stratified_test_split(np.array([groups.index(group) for _, group in files]), 0.3)
    for (path, group), is_test in zip(files, test, strict=True):
        folder = root / ("test" if is_test else "train") / group
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).symlink_to(path)
    return root / "train", root / "test"


EXPORTS = {"digits": export_digits, "fashion": export_fashion, "emoji": export_emoji}


def baseline_source(commit: str, into: Path) -> Path:
    """The ``artgen`` package as it was at ``commit``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "artgen"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(source: Path, train: Path, test: Path, size: int, run_dir: Path) -> dict:
    """Train and score in a child; its CPU time / cores is the wall time the run would take alone."""
    env = {**os.environ, "PYTHONPATH": str(source), "TF_CPP_MIN_LOG_LEVEL": "3"}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(train), str(test), str(size), str(run_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=run_dir.parent,  # not the repository: `python -c` puts the working folder first on sys.path
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"run failed ({source}):\n{done.stderr[-3000:]}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    wall = time.perf_counter() - started
    return {**json.loads(lines[-1][7:]), "wall_seconds": wall, "cpu_seconds": cpu, "cores": os.cpu_count()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "datasets", nargs="*", metavar="DATASET", help=f"any of {', '.join(EXPORTS)} (default all)"
    )
    parser.add_argument(
        "--data", type=Path, default=DATA, help="folder holding fashion/, fashion-test/, emoji/"
    )
    parser.add_argument("--baseline", default=BASELINE, help="git commit of the old defaults")
    parser.add_argument(
        "--versions", default="new,old", help="new (this checkout), old (--baseline), or both (default)"
    )
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    unknown = set(args.datasets) - set(EXPORTS)
    if unknown:
        parser.error(f"unknown dataset {', '.join(sorted(unknown))}; choose from {', '.join(EXPORTS)}")
    work = Path(tempfile.mkdtemp(prefix="classify-quality-"))
    versions = {}
    for version in args.versions.split(","):
        if version not in ("new", "old"):
            parser.error(f"--versions takes new, old or new,old, not {args.versions!r}")
        versions[version] = REPO if version == "new" else baseline_source(args.baseline, work / "baseline")
    figures = []
    try:
        for name in args.datasets or EXPORTS:
            train, test = EXPORTS[name](work / name, args.data)
            for version, source in versions.items():
                row = {"dataset": name, "version": version}
                row |= run(source, train, test, SIZES[name], work / f"run-{name}-{version}")
                figures.append(row)
                print(
                    f"{name:8} {version}: test {row['test_accuracy']:.4f}  val {row['val_accuracy']:.4f}  "
                    f"{row['train_seconds'] / 60:.1f} min training, {row['wall_seconds'] / 60:.1f} min wall, "
                    f"{row['cpu_seconds'] / 60:.1f} CPU-min  "
                    f"({row['base']}, {row['epochs']} epochs, {row['stop_reason']}, "
                    f"{row['train_images']} train / {row['test_images']} test, {row['model_mb']:.1f} MB)",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| dataset | version | base | test accuracy | training (wall) | run: wall / CPU÷cores | target |")
    print("|---|---|---|---|---|---|---|")
    for row in figures:
        print(
            f"| {row['dataset']} | {row['version']} | {row['base']} | {row['test_accuracy']:.3f} "
            f"| {row['train_seconds'] / 60:.1f} min | {row['wall_seconds'] / 60:.1f} min / "
            f"{row['cpu_seconds'] / row['cores'] / 60:.1f} min | {TARGETS[row['dataset']]} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
