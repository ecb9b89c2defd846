"""DCGAN sample quality at equal compute: artgen's trainer against the plain tutorial DCGAN.

The reference is TensorFlow's DCGAN tutorial written the usual way (the
models of benchmarks/dcgan_throughput.py, Adam 2e-4/0.5, binary cross-entropy
with no label smoothing, no EMA, no augmentation, batches from
``tf.data.Dataset.from_tensor_slices``). Every run trains in its own process
until it has used ``--budget`` seconds of process CPU time (all threads), so
runs are fair on a shared machine whatever else is running; wall time is
reported beside it. Runs of one seed are interleaved (reference, then each
variant), so slow and busy periods hit all of them alike. Each run then draws
``--eval-n`` images, scored with artgen's FD/KID (VGG16 features) against as
many images of the training set.

    python benchmarks/dcgan_quality.py --dataset fashion32 --seeds 0 1 2 --budget 150
    python benchmarks/dcgan_quality.py --dataset emoji64 --budget 150
    python benchmarks/dcgan_quality.py --dataset fashion32 --seeds 0 --budget 60 \\
        --variant classic:recipe=classic --variant hinge:loss=hinge

A variant is NAME:key=value,... over artgen's defaults (TrainConfig fields; `recipe=classic`
starts from the classic recipe). Prints FD/KID per run, mean and spread, and FD ratios
variant/reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("ARTGEN_DATA", Path(__file__).resolve().parent.parent / ".data"))
DATASETS = {  # name: (folder, size, images used: a fixed random subset, classes pooled)
    "fashion32": (DATA / "fashion", 32, 5000),
    "fashion32-1k": (DATA / "fashion", 32, 1000),  # a small dataset, for DiffAugment by size
    "emoji64": (DATA / "emoji", 64, 1624),
}


def _subset(name: str) -> np.ndarray:
    from artgen import images as image_io
    from artgen.quality.features import pick

    folder, size, count = DATASETS[name]
    return pick(image_io.load_folder(folder, size).images, count, seed=1234)


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    return tuple(text.split("+")) if "+" in text else text


def parse_variant(text: str) -> tuple[str, dict]:
    name, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        settings[key] = _value(value)
    return name, settings


# ---------------------------------------------------------------- child processes


def _budget_over(budget: float):
    start = time.process_time()
    return lambda: time.process_time() - start > budget


def child_reference(images: np.ndarray, seed: int, budget: float, count: int) -> tuple[np.ndarray, int]:
    import tensorflow as tf
    from plain_dcgan import LATENT_DIM, plain_step

    from artgen.dcgan.models import build_discriminator, build_generator

    tf.random.set_seed(seed)
    size = images.shape[1]
    dataset = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images), seed=seed)
        .repeat()
        .batch(64, drop_remainder=True)
        .map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0)
        .prefetch(2)
    )
    generator = build_generator(size, LATENT_DIM, 64, seed=seed)
    step = plain_step(generator, build_discriminator(size, 64, seed=seed + 1))

    over, steps = _budget_over(budget), 0
    for batch in dataset:
        if over():
            break
        float(step(batch))
        steps += 1
    from artgen.generators.sampling import generate, latents

    return generate(generator, latents(count, LATENT_DIM, 10_000 + seed)), steps


def child_artgen(
    images_dir: str, seed: int, budget: float, count: int, settings: dict
) -> tuple[np.ndarray, int]:
    from artgen.dcgan import TrainConfig, train
    from artgen.generators.sampling import generate, latent_dim, latents, load_generator

    settings = dict(settings)
    recipe = settings.pop("recipe", "artgen")
    size = settings.pop("size")
    run_dir = tempfile.mkdtemp(prefix="artgen-quality-")
    config = TrainConfig.with_recipe(
        recipe,
        data_dir=images_dir,
        size=size,
        steps=10**7,
        seed=seed,
        run_dir=run_dir,
        checkpoint_every=10**7,
        **settings,
    )
    result = train(config, should_stop=_budget_over(budget))
    generator = load_generator(run_dir, "latest")
    return generate(generator, latents(count, latent_dim(generator), 10_000 + seed)), result.step


def child_main(spec: dict) -> None:
    started = time.perf_counter()
    if spec["kind"] == "reference":
        made, steps = child_reference(np.load(spec["images"]), spec["seed"], spec["budget"], spec["count"])
    else:
        made, steps = child_artgen(
            spec["folder"], spec["seed"], spec["budget"], spec["count"], spec["settings"]
        )
    np.save(spec["out"], made)
    Path(spec["out"] + ".json").write_text(
        json.dumps({"steps": steps, "wall": time.perf_counter() - started, "cpu": time.process_time()})
    )


# ---------------------------------------------------------------- parent


def _materialise(name: str, images: np.ndarray, root: Path) -> tuple[str, str]:
    """The subset as PNGs (artgen trains on folders) and as one .npy (the reference's array)."""
    from artgen import images as image_io

    folder = root / name
    if not folder.exists():
        for index, image in enumerate(images):
            image_io.save_png(folder / f"{index:05d}.png", image)
    array = root / f"{name}.npy"
    np.save(array, images)
    return str(folder), str(array)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=DATASETS, default="fashion32")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=150.0, help="process CPU seconds per run")
    parser.add_argument("--eval-n", type=int, default=1000, help="generated (and real) images scored")
    parser.add_argument("--variant", action="append", default=[], help="NAME:key=value,... (repeatable)")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "artgen-quality-bench")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args()

    from artgen import quality

    variants = [("artgen", {})] + [parse_variant(text) for text in args.variant]
    images = _subset(args.dataset)
    size = DATASETS[args.dataset][1]
    args.work.mkdir(parents=True, exist_ok=True)
    folder, array = _materialise(args.dataset, images, args.work)
    real = quality.real_features(images, args.eval_n)
    # Warm the cache the training-time watch reads (4 x 256 real images), outside any budget.
    quality.real_features(images, 1024)
    print(
        f"{args.dataset}: {len(images)} images at {size} px, budget {args.budget:g} CPU-s per run, "
        f"{os.cpu_count()} cores (shared), FD/KID on {args.eval_n} images",
        flush=True,
    )
    runs: list[dict] = []
    for seed in args.seeds:
        order = ([] if args.no_reference else [("reference", None)]) + variants
        for name, settings in order:
            out = str(args.work / f"{args.dataset}-{name}-{seed}.npy")
            spec = {
                "kind": "reference" if settings is None else "artgen",
                "images": array,
                "folder": folder,
                "seed": seed,
                "budget": args.budget,
                "count": args.eval_n,
                "settings": {**(settings or {}), "size": size},
                "out": out,
            }
            subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], check=True)
            info = json.loads(Path(out + ".json").read_text())
            score = quality.score(quality.extract(np.load(out)), real)
            row = {"variant": name, "seed": seed, **score.to_dict(), **info}
            runs.append(row)
            print(
                f"  seed {seed} {name:12s} FD {score.fd:8.3f}  KID {score.kid:.4f} ± {score.kid_se:.4f}  "
                f"{info['steps']:6d} steps  {info['cpu']:.0f} CPU-s  {info['wall']:.0f} s wall  "
                f"{1000 * info['cpu'] / max(info['steps'], 1):.0f} CPU-ms/step",
                flush=True,
            )
    print("\nvariant        FD mean ± sd      KID mean ± sd        FD ratio to reference")
    base = [r["fd"] for r in runs if r["variant"] == "reference"]
    for name in dict.fromkeys(r["variant"] for r in runs):
        fds = np.array([r["fd"] for r in runs if r["variant"] == name])
        kids = np.array([r["kid"] for r in runs if r["variant"] == name])
        spread = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0  # noqa: E731
        ratio = f"{fds.mean() / np.mean(base):.3f}" if base else "-"
        print(
            f"{name:12s} {fds.mean():8.3f} ± {spread(fds):6.3f}  "
            f"{kids.mean():.4f} ± {spread(kids):.4f}  {ratio}"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_main(json.loads(sys.argv[2]))
    else:
        main()
