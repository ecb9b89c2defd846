"""The toy GAN lab on a two-peaked mixture: does each peak come out at its real width?

Runs ``artgen toy --mixture=-2:0.5,3:1`` with the lab's defaults over several
seeds, and, in the same process on the same seeds, the lab as it was before
(32 hidden units; each number judged alone by a discriminator whose
first-layer biases start at zero, so every bend of D(x) starts at the data's mean). For each it prints
the earth mover's distance to the real data and each peak's width
(the standard deviation of the numbers that peak explains best), and the
ratio of the mean distances. A single normal N(4, 1.25) is run too, the
lab's default, as the floor a distance can reach at this sample size.

Target: each peak's generated width within 10% of the real one on average,
and a distance well below the reference's.

    nice python benchmarks/toy_mixture.py              # 4 seeds
    nice python benchmarks/toy_mixture.py --seeds 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIXTURE = "-2:0.5,3:1"


def _reference_discriminator(hidden: int, mean: float, std: float, pack: int = 1):
    """The discriminator before: one number in, Keras' default initializers (zero biases)."""
    import keras
    from keras import layers

    value = keras.Input((pack,))
    x = layers.Rescaling(1.0 / std, offset=-mean / std)(value)
    x = layers.LeakyReLU(0.2)(layers.Dense(hidden)(x))
    x = layers.LeakyReLU(0.2)(layers.Dense(hidden)(x))
    return keras.Model(value, layers.Dense(1)(x))


def run(seeds: int, reference: bool, mixture: str = MIXTURE) -> list[dict]:
    from artgen.labs.toy_gan import ToyConfig, train_toy, training

    built = training.build_discriminator
    if reference:
        training.build_discriminator = _reference_discriminator
    rows = []
    try:
        for seed in range(seeds):
            overrides = {"pack": 1, "hidden": 32} if reference else {}  # the lab's settings before
            config = ToyConfig(
                mixture=mixture,
                seed=seed,
                plot_every=0,
                run_dir=tempfile.mkdtemp(prefix="toy-mixture-"),
                **overrides,
            )
            started = time.perf_counter()
            result = train_toy(config)
            rows.append(
                {
                    "seed": seed,
                    "seconds": round(time.perf_counter() - started, 1),
                    "distance": round(result.distance, 4),
                    "widths": [round(std, 3) for _, std, _ in result.gen_peaks],
                    "real_widths": [round(std, 3) for _, std, _ in result.real_peaks],
                }
            )
            print(("reference " if reference else "artgen    ") + json.dumps(rows[-1]), flush=True)
    finally:
        training.build_discriminator = built
    return rows


def _summary(rows: list[dict]) -> dict:
    peaks = len(rows[0]["widths"])
    return {
        "mean_distance": round(statistics.mean(row["distance"] for row in rows), 4),
        "width_ratio_per_peak": [
            round(statistics.mean(row["widths"][i] / row["real_widths"][i] for row in rows), 3)
            for i in range(peaks)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    artgen = _summary(run(args.seeds, reference=False))
    before = _summary(run(args.seeds, reference=True))
    single = run(1, reference=False, mixture="4:1.25")[0]["distance"]
    print(
        json.dumps(
            {
                "mixture": MIXTURE,
                "seeds": args.seeds,
                "artgen": artgen,
                "reference_before": before,
                "distance_ratio_artgen_over_reference": round(
                    artgen["mean_distance"] / before["mean_distance"], 3
                ),
                "single_normal_distance": single,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
