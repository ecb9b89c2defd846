"""Sample selection (``artgen sample --select``) against no selection and truncation: a table.

For a generator (a training run directory or a ``.keras`` file), draws ``--n`` images per
setting and scores them against ``--n`` real images of ``--real`` with artgen's FD, KID,
precision and recall (VGG16 features, as ``artgen eval``); also their mean brightness
(truncation's failure: samples fade to the background) and diversity (mean pairwise
feature distance relative to the real images'). Settings:

- ``none``: ``--n`` plain draws (latent seed ``--seed``);
- ``discriminator K``: ``artgen sample --select K``: draw n/K candidates (the same seed, so
  the first n are the plain draws), keep the n the run's discriminator rates most real
  (run directories only);
- ``density K``: the alternative measured and rejected: the same candidates, keep the n
  with the smallest k-NN radius (k=3) among all candidates in VGG16 feature space;
- ``truncation T``: latents from a normal truncated at ±T (the removed ``--truncation``).

    python benchmarks/sample_selection.py --model runs/fashion --real .data/fashion-test
    python benchmarks/sample_selection.py --model artgen/bundled/generator/emoji64.keras \\
        --real .data/emoji --n 500 --keep 0.5

Held-out real images (Fashion-MNIST's test split) keep a selection from being rewarded
for copying the training set. Candidates' features are computed once for the largest
pool; each K uses the prefix of it that ``--select K`` would draw.
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
from artgen.generators import locate, sampling, selection  # noqa: E402
from artgen.quality.features import pick  # noqa: E402


def truncated(count: int, dim: int, seed: int, bound: float) -> np.ndarray:
    """A normal truncated at ±bound (values beyond it drawn again): what --truncation drew."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((count, dim), dtype=np.float32)
    outside = np.abs(z) > bound
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
        outside = np.abs(z) > bound
    return z


def row(
    name: str, images: np.ndarray, features: np.ndarray, real: np.ndarray, base: float, note: str = ""
) -> None:
    score = quality.score(features, real)
    diversity = quality.diversity(features) / base
    print(
        f"| {name:17s} | {score.fd:6.1f} | {score.kid:5.3f} ± {score.kid_se:.3f} | {score.precision:5.3f} | "
        f"{score.recall:5.3f} | {images.mean():5.1f} | {diversity:4.2f} | {note} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="run directory or .keras generator")
    parser.add_argument("--real", required=True, type=Path, help="folder of real images to score against")
    parser.add_argument("--n", type=int, default=1000, help="images per setting, and real images")
    parser.add_argument("--keep", type=float, nargs="*", default=[0.7, 0.5, 0.3], help="--select shares")
    parser.add_argument("--truncation", type=float, nargs="*", default=[1.0, 0.5], help="bounds to compare")
    parser.add_argument("--seed", type=int, default=0, help="latent seed")
    args = parser.parse_args()

    path = locate.resolve_model(args.model)
    generator = sampling.load_generator(path)
    dim, n = sampling.latent_dim(generator), args.n
    size = int(generator.output_shape[1])
    real_images = image_io.load_folder(args.real, size).images
    real = quality.real_features(real_images, n)
    base = quality.diversity(real)
    critic = selection.load_critic(path) if locate.critic_checkpoint(path) else None
    print(f"{locate.describe(path)} ({size} px) against {len(real)} images of {args.real}; {n} per row")
    print(f"real images' mean brightness {pick(real_images, n).mean():.1f}")

    pool = selection.pool_size(n, min(args.keep, default=1.0))
    started = time.process_time()
    candidates = sampling.generate(generator, sampling.latents(pool, dim, args.seed))
    made = time.process_time() - started
    started = time.process_time()
    features = quality.extract(candidates)
    extracted = time.process_time() - started
    each = f"{1000 * made / pool:.2f} CPU-ms each to draw, {1000 * extracted / pool:.1f} to featurise"
    print(f"{pool} candidates (latent seed {args.seed}): {each}")
    print()
    print("| setting           |     FD | KID           | prec. | recall | bright | div. | rating cost |")
    print("| ----------------- | -----: | ------------- | ----: | -----: | -----: | ---: | ----------- |")
    row("none", candidates[:n], features[:n], real, base)
    for keep in args.keep:
        size_k = selection.pool_size(n, keep)
        pool_images, pool_features = candidates[:size_k], features[:size_k]
        if critic is not None:
            started = time.process_time()
            scores = selection.critic_scores(critic, pool_images)
            cost = 1000 * (time.process_time() - started) / size_k
            chosen = selection.keep_best(scores, n)
            row(f"discriminator {keep:g}", pool_images[chosen], pool_features[chosen], real, base,
                f"{cost:.2f} CPU-ms per candidate")  # fmt: skip
        started = time.process_time()
        scores = -quality.knn_radii(pool_features)
        cost = 1000 * (time.process_time() - started) / size_k + 1000 * extracted / pool
        chosen = selection.keep_best(scores, n)
        row(f"density {keep:g}", pool_images[chosen], pool_features[chosen], real, base,
            f"{cost:.1f} CPU-ms per candidate")  # fmt: skip
    for bound in args.truncation:
        images = sampling.generate(generator, truncated(n, dim, args.seed, bound))
        row(f"truncation {bound:g}", images, quality.extract(images), real, base)


if __name__ == "__main__":
    main()
