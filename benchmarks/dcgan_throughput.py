"""DCGAN training throughput at 64x64, batch 64, on this machine.

Prints three figures and their ratios:
  (a) artgen's steady-state training images/s on a real image folder (the whole loop:
      feeder thread, train step, metrics, events; sample grids and checkpoints pushed
      out of the timed window);
  (b) the bare train step of the same model on one in-memory batch (compute only);
  (c) a plain reference written the usual way: the same Keras models, a GradientTape
      step in tf.function, batches from keras.utils.image_dataset_from_directory.
Targets: a/b >= 0.95 (the input pipeline costs nothing visible) and a/c >= 1.0.

    python benchmarks/dcgan_throughput.py [FOLDER] [--steps 40]

FOLDER defaults to .data/emoji (built by scripts/build_emoji_dataset.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from artgen.dcgan import TrainConfig, train  # noqa: E402
from artgen.dcgan.feed import batch_inputs  # noqa: E402
from artgen.dcgan.gan import build_gan  # noqa: E402
from artgen.dcgan.placement import placement  # noqa: E402
from artgen.events import Progress  # noqa: E402

WARMUP = 5


def artgen_loop(folder: Path, steps: int, **overrides: object) -> float:
    """Steady-state images/s of the whole training loop; ``overrides``: TrainConfig fields."""
    stamps: dict[int, float] = {}

    def on_event(event: object) -> None:
        if isinstance(event, Progress) and event.unit == "step":
            stamps[event.step] = time.perf_counter()

    run_dir = Path(tempfile.mkdtemp(prefix="artgen-bench-"))
    try:
        values = {
            "width": 64,  # the reference's networks and batch (artgen's default is 32/32)
            "batch_size": 64,
            "precision": "float32",
            **overrides,
        }
        config = TrainConfig(
            data_dir=str(folder),
            steps=WARMUP + steps,
            log_every=1,
            sample_every=10**6,
            checkpoint_every=10**6,
            run_dir=str(run_dir / "run"),
            **values,
        )
        train(config, on_event)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    return steps * config.batch_size / (stamps[WARMUP + steps] - stamps[WARMUP])


def bare_step(steps: int, config: TrainConfig | None = None) -> float:
    """Images/s of the train step alone, fed one in-memory batch over and over."""
    config = config or TrainConfig(data_dir="unused", width=64, batch_size=64, precision="float32")
    trainer = placement(config).make_trainer(build_gan(config, steps))
    size = config.size
    images = np.random.default_rng(0).integers(0, 256, (config.batch_size, size, size, 3), dtype=np.uint8)
    inputs = batch_inputs(images, config, 0)
    for _ in range(WARMUP):
        trainer.step(inputs)
    started = time.perf_counter()
    for _ in range(steps):
        trainer.step(inputs)
    return steps * config.batch_size / (time.perf_counter() - started)


def reference(folder: Path, steps: int) -> float:
    """The usual recipe: image_dataset_from_directory + GradientTape, read from disk every epoch."""
    import keras
    from plain_dcgan import LATENT_DIM, plain_step

    from artgen.dcgan.models import build_discriminator, build_generator

    dataset = (
        keras.utils.image_dataset_from_directory(
            folder, labels=None, image_size=(64, 64), batch_size=64, shuffle=True, seed=0, verbose=False
        )
        .map(lambda x: x / 127.5 - 1.0)
        .repeat()
    )
    step = plain_step(build_generator(64, LATENT_DIM, 64), build_discriminator(64, 64), real_label=0.9)

    batches = iter(dataset)
    for _ in range(WARMUP):
        step(next(batches))
    started = time.perf_counter()
    for _ in range(steps):
        float(step(next(batches)))
    return steps * 64 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", default=".data/emoji", type=Path)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    args = parser.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"{args.folder} is missing: run scripts/build_emoji_dataset.py or pass a folder")
    import keras

    print(
        f"backend {keras.backend.backend()}, {os.cpu_count()} CPU cores, 64x64, batch 64, {args.steps} steps"
    )
    a = artgen_loop(args.folder, args.steps)
    print(f"(a) artgen training loop      {a:8.1f} img/s")
    b = bare_step(args.steps)
    print(f"(b) bare train step           {b:8.1f} img/s")
    if keras.backend.backend() == "tensorflow":
        c = reference(args.folder, args.steps)
        print(f"(c) image_dataset_from_directory + GradientTape {c:8.1f} img/s")
        print(f"a/b = {a / b:.3f} (target >= 0.95)   a/c = {a / c:.3f} (target >= 1.0)")
    else:
        print(f"a/b = {a / b:.3f} (target >= 0.95); (c) needs TensorFlow")


if __name__ == "__main__":
    main()
