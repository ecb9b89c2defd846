#!/usr/bin/env python3
"""Quality and speed of ``artgen classify`` on Fashion-MNIST, a dataset nobody here wrote.

Target (issue 6): at least 85% validation accuracy within 30 minutes of CPU training.
Export the data first (see scripts/export_fashion_mnist.py), then run under ``nice``::

    nice .venv/bin/python benchmarks/classify_fashion.py

The validation accuracy is measured on a held-out stratified split of the training
folder, as ``artgen classify train`` reports it; the test accuracy on the official
10,000 test images, which no split ever saw. Prints the settings and the figures,
and writes them as JSON with ``--json PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from artgen.images import list_images
from artgen.labs.classify import ClassifyConfig, predict, train_classifier
from artgen.labs.classify.inference import load_classifier

SETTINGS = dict(
    size=28,
    val_split=0.2,
    epochs=12,
    batch_size=64,
    target_accuracy=0.93,
    patience=3,
    rotation=0.03,
    shift=0.08,
    shear=0.08,
    zoom=0.08,
    flip="horizontal",
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=".data/fashion", help="class folders to train on")
    parser.add_argument("--test", default=".data/fashion-test", help="class folders of the official test set")
    parser.add_argument("--limit", type=int, help="images per class (default: all)")
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        print(f"no {args.data}; run scripts/export_fashion_mnist.py first", file=sys.stderr)
        return 2

    settings = {**SETTINGS, "epochs": args.epochs, "limit": args.limit}
    run_dir = Path(tempfile.mkdtemp(prefix="classify-fashion-")) / "run"
    config = ClassifyConfig(data_dir=args.data, run_dir=str(run_dir), **settings)
    epoch_seconds: list[float] = []
    marks = {"train_start": None}

    def on_event(event) -> None:
        name = type(event).__name__
        if name == "Message" and event.text.startswith("split:"):
            marks["train_start"] = time.perf_counter()
        if name == "Metrics":
            epoch_seconds.append(time.perf_counter())
            values = event.values
            print(
                f"  epoch {event.step}: accuracy {values.get('accuracy', float('nan')):.4f} "
                f"val_accuracy {values.get('val_accuracy', float('nan')):.4f} "
                f"({values['img_per_s']:.0f} img/s)",
                flush=True,
            )

    print(f"settings: {json.dumps(settings)}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores", flush=True)
    started = time.perf_counter()
    result = train_classifier(config, on_event)
    total = time.perf_counter() - started
    training = epoch_seconds[-1] - marks["train_start"] if epoch_seconds and marks["train_start"] else total

    test_accuracy = None
    if Path(args.test).is_dir():
        classifier = load_classifier(result.model_path)
        files = list_images(args.test)
        truth = np.array([classifier.classes.index(path.parent.name) for path in files])
        guesses = predict(classifier, files, batch_size=512)
        test_accuracy = float(np.mean([classifier.classes.index(g.label) for g in guesses] == truth))

    figures = {
        "train_images": result.train_count,
        "val_images": result.val_count,
        "epochs": result.epochs,
        "stop_reason": result.stop_reason,
        "accuracy": round(result.accuracy, 4),
        "val_accuracy": round(result.val_accuracy, 4),
        "test_accuracy": None if test_accuracy is None else round(test_accuracy, 4),
        "training_seconds": round(training, 1),
        "total_seconds": round(total, 1),
        "settings": settings,
        "run_dir": str(result.run_dir),
    }
    print(
        f"train/val images      {result.train_count} / {result.val_count} ({result.epochs} epochs, "
        f"stopped by {result.stop_reason})"
    )
    print(f"accuracy              {result.accuracy:.4f} (training split, no augmentation)")
    print(f"validation accuracy   {result.val_accuracy:.4f} (target >= 0.85)")
    if test_accuracy is not None:
        print(f"test accuracy         {test_accuracy:.4f} (official 10k test set)")
    print(f"training wall time    {training / 60:.1f} min (target <= 30 min); whole run {total / 60:.1f} min")
    print(f"run directory         {result.run_dir}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
