"""Train the generator that ships in artgen/bundled/generator/ (the default of `artgen sample` and `walk`).

Runs artgen's own trainer on the emoji dataset built by
``scripts/build_emoji_dataset.py`` for a wall-clock budget, then exports the
EMA generator with a provenance JSON beside it. The config is exactly what
``artgen train DATA --size 64 --augment --sample-every 100`` builds, so the
step count it prints reproduces the run with that command plus ``--steps N``.

    KERAS_BACKEND=jax python scripts/train_bundled_generator.py .data/emoji --minutes 8
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from artgen import __version__, images, runs
from artgen.dcgan import TrainConfig, train
from artgen.dcgan.config import AUGMENTATIONS
from artgen.events import Event, Message, Progress
from artgen.generators import sampling

ASSET = Path(__file__).resolve().parent.parent / "artgen" / "bundled" / "generator" / "emoji64.keras"


def _printer() -> callable:
    last = [0.0]

    def show(event: Event) -> None:
        if isinstance(event, Message):
            print(event.text, flush=True)
        elif isinstance(event, Progress) and event.unit == "step" and time.monotonic() - last[0] > 15:
            last[0] = time.monotonic()
            print(f"step {event.step} {event.stage} {event.rate or 0:.0f} img/s", flush=True)

    return show


def _device() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.device_kind} ({device.platform}, JAX {jax.__version__})"
    return f"{platform.processor() or platform.machine()} (TensorFlow CPU)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir")
    parser.add_argument("--minutes", type=float, default=8.0, help="wall-clock training budget")
    parser.add_argument("--run-dir", default="runs/emoji64")
    parser.add_argument("--out", type=Path, default=ASSET)
    parser.add_argument("--precision", default="auto", help="as artgen train's --precision (bf16: AMX CPUs)")
    args = parser.parse_args()

    config = TrainConfig(
        data_dir=args.data_dir,
        size=64,
        augment=AUGMENTATIONS,
        steps=1_000_000,
        sample_every=100,
        checkpoint_every=5000,
        run_dir=args.run_dir,
        precision=args.precision,
    )
    started = time.monotonic()
    deadline = started + args.minutes * 60
    result = train(config, _printer(), should_stop=lambda: time.monotonic() > deadline)
    minutes = (time.monotonic() - started) / 60
    generator = sampling.load_generator(result.run_dir)
    with runs.atomic_path(args.out) as tmp:
        generator.save(tmp)
    grid = images.grid(sampling.sample(generator, 64, seed=0), 8)
    images.save_png(args.out.with_name("emoji64-samples.png"), grid)
    provenance = {
        "model": "DCGAN generator (EMA weights), 64x64 RGB, latent 100",
        "dataset": "Noto Color Emoji bitmaps (Debian fonts-noto-color-emoji), "
        "built by scripts/build_emoji_dataset.py",
        "dataset_licence": "Apache-2.0 (Noto Emoji images)",
        "licence": "Apache-2.0",
        "training_command": f"artgen train {args.data_dir} --size 64 --augment --sample-every 100 "
        f"--checkpoint-every 5000 --precision {args.precision} --steps {result.step}",
        "steps": result.step,
        "batch_size": config.batch_size,
        "wall_minutes": round(minutes, 1),
        "machine": _device(),
        "artgen_version": __version__,
        "trained": time.strftime("%Y-%m-%d"),
    }
    runs.write_text(args.out.with_suffix(".json"), json.dumps(provenance, indent=2) + "\n")
    print(json.dumps(provenance, indent=2))


if __name__ == "__main__":
    main()
