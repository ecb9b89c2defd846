"""The toy GAN's training loop: a run directory out, events on the side.

Layout of a run directory::

    config.json              the ToyConfig
    frames/epoch-NNNN.png    the plot after each --plot-every epochs (shown live by the app)
    final.png                the plot after the last epoch
    training.gif             every frame as an animation (--gif)
    metrics.csv              per epoch: losses, D outputs, generated mean/std, distance to the
                             real data; row 0 is the untrained generator (losses nan)
    curves.png               losses and distance over the epochs
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from artgen import backends, images, plots, runs
from artgen.errors import TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop
from artgen.labs.toy_gan.config import ToyConfig
from artgen.labs.toy_gan.data import peak_stats, plot_range, sample_real, wasserstein1
from artgen.labs.toy_gan.models import build_discriminator, build_generator
from artgen.labs.toy_gan.plot import draw_epoch

__all__ = ["ToyResult", "train_toy", "METRIC_COLUMNS"]

LOSS_COLUMNS = ("d_loss", "g_loss", "d_real", "d_fake")
METRIC_COLUMNS = ("epoch", "step", *LOSS_COLUMNS, "gen_mean", "gen_std", "distance")
GRID_POINTS = 400
PARTNERS = 16  # real pack-mates the D(x) curve averages over
TRAINERS = {"tensorflow": "artgen.labs.toy_gan.step_tensorflow:TensorFlowToyTrainer"}  # no JAX step yet
FRAME_MS, LAST_FRAME_MS = 120, 1500


@dataclass(frozen=True)
class ToyResult:
    run_dir: Path
    final_png: Path
    gif_path: Path | None
    metrics_path: Path
    real_mean: float
    real_std: float
    gen_mean: float
    gen_std: float
    distance: float  # earth mover's distance between generated and real samples, in data units
    real_peaks: list[tuple[float, float, float]]  # per component: mean, std, share of the real samples
    gen_peaks: list[tuple[float, float, float]]  # the same measure on the generated samples
    epochs: int  # epochs completed
    stopped: bool


def train_toy(
    config: ToyConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> ToyResult:
    """Train the 1-D GAN for ``config.epochs`` (or until asked to stop) and write its run directory."""
    make_trainer = backends.implementation(TRAINERS, "the toy GAN")  # refused before the run folder is made
    settings = {"engine": "toy_gan", **config.to_dict()}
    # Toy runs are never continued: a folder that holds anything is refused.
    with runs.open_run(config.run_dir, config.runs_root, "toy", settings, resumable=False) as run_dir:
        return _Lab(config, run_dir, on_event, make_trainer).run(should_stop)


class _Lab:
    """One training run: networks, fixed evaluation samples, the rows of metrics.csv."""

    def __init__(
        self, config: ToyConfig, run_dir: Path, on_event: OnEvent, make_trainer: Callable[..., Any]
    ) -> None:
        self.config, self.run_dir, self.on_event = config, run_dir, on_event
        self.components = config.components()
        self.real_mean, self.real_std = config.real_moments()
        keras.utils.set_random_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.generator = build_generator(config.latent_dim, config.hidden, self.real_mean, self.real_std)
        self.discriminator = build_discriminator(config.hidden, self.real_mean, self.real_std, config.pack)

        def adam() -> keras.optimizers.Optimizer:
            rate = config.learning_rate
            if config.lr_decay:
                total = config.epochs * config.steps_per_epoch
                rate = keras.optimizers.schedules.PolynomialDecay(rate, total, 0.0, power=1.0)
            return keras.optimizers.Adam(rate, beta_1=config.beta1)

        self.trainer = make_trainer(self.generator, self.discriminator, adam(), adam(), config.r1)
        # Fixed evaluation draws, so the distance curve shows learning rather than sampling noise.
        eval_rng = np.random.default_rng([config.seed, 1])
        self.eval_real = sample_real(self.components, config.eval_samples, eval_rng)
        self.eval_noise = eval_rng.standard_normal((config.eval_samples, config.latent_dim), dtype=np.float32)
        self.x_range = plot_range(self.components)
        self.grid = np.linspace(*self.x_range, GRID_POINTS, dtype=np.float32).reshape(-1, 1)
        # The D(x) curve puts x in a pack with real pack-mates (fixed draws) and averages over them.
        mates = sample_real(
            self.components, PARTNERS * (config.pack - 1), np.random.default_rng([config.seed, 2])
        )
        self.pack_mates = mates.reshape(PARTNERS, config.pack - 1)
        self.rows: list[list[float]] = []
        self.frames: list[Path] = []

    def run(self, should_stop: ShouldStop) -> ToyResult:
        config = self.config
        self.on_event(Message(f"real data: {self._describe_real()}"))
        self._end_epoch(0, 0, [], None)  # where the generator starts, before any training
        epoch, step, stopped = 0, 0, False
        for epoch in range(1, config.epochs + 1):
            started = time.perf_counter()
            window: list[dict[str, float]] = []
            for _ in range(config.steps_per_epoch):
                if should_stop():
                    stopped = True
                    break
                values = self.trainer.step(*self._batch())
                step += 1
                if not all(math.isfinite(v) for v in values.values()):
                    raise TrainingDiverged(
                        f"losses became NaN/inf at step {step}; try a lower --learning-rate"
                    )
                window.append(values)
            if stopped:
                epoch -= 1
                self.on_event(Message(f"stopped after epoch {epoch}"))
                break
            rate = len(window) * config.batch_size / max(time.perf_counter() - started, 1e-9)
            self._end_epoch(epoch, step, window, rate)
        return self._finish(epoch, stopped)

    def _describe_real(self) -> str:
        if self.config.mixture:
            parts = ", ".join(f"N({m:g}, {s:g}) x{w:.2f}" for m, s, w in self.components)
            return f"mixture {parts} (mean {self.real_mean:.3g}, std {self.real_std:.3g})"
        return f"normal, mean {self.real_mean:g}, std {self.real_std:g}"

    def _batch(self) -> tuple[np.ndarray, np.ndarray]:
        real = sample_real(self.components, self.config.batch_size, self.rng)
        noise = self.rng.standard_normal((self.config.batch_size, self.config.latent_dim), dtype=np.float32)
        return real, noise

    def _end_epoch(self, epoch: int, step: int, window: list[dict[str, float]], rate: float | None) -> None:
        """Measure, log and plot; epoch 0 (no training yet) has no losses, written as nan."""
        fake = self._generate()
        means = {key: float(np.mean([values[key] for values in window])) for key in LOSS_COLUMNS if window}
        summary = {
            **means,
            "gen_mean": float(np.mean(fake)),
            "gen_std": float(np.std(fake)),
            "distance": wasserstein1(fake, self.eval_real),
        }
        self.rows.append([epoch, step, *(summary.get(name, math.nan) for name in METRIC_COLUMNS[2:])])
        runs.write_csv(self.run_dir / "metrics.csv", METRIC_COLUMNS, self.rows)
        self.on_event(Metrics(step, {"epoch": float(epoch), **summary}))
        self.on_event(
            Progress(
                epoch,
                self.config.epochs,
                unit="epoch",
                rate=rate,
                rate_unit="num/s",
                stage=f"epoch {epoch}/{self.config.epochs}",
            )
        )
        if self.config.plot_every and epoch % self.config.plot_every == 0:
            path = self.run_dir / "frames" / f"epoch-{epoch:04d}.png"
            self._draw(
                path,
                fake,
                f"epoch {epoch}: generated mean {summary['gen_mean']:.3g}, "
                f"std {summary['gen_std']:.3g}; distance {summary['distance']:.3g}",
            )
            self.frames.append(path)
            self.on_event(Preview(str(path), f"epoch {epoch}"))

    def _generate(self) -> np.ndarray:
        return keras.ops.convert_to_numpy(self.generator(self.eval_noise, training=False))

    def _draw(self, path: Path, fake: np.ndarray, title: str) -> None:
        d_prob = self._d_along_x()
        draw_epoch(path, self.eval_real, fake, self.grid, d_prob, self.x_range, self.config.bins, title)

    def _d_along_x(self) -> np.ndarray:
        """P(real) at each grid x, in a pack with real pack-mates (alone when ``pack`` is 1)."""
        x = np.repeat(self.grid, PARTNERS, axis=0)
        packs = np.concatenate([x, np.tile(self.pack_mates, (len(self.grid), 1))], axis=1)
        logits = keras.ops.convert_to_numpy(self.discriminator(packs, training=False))
        d_prob = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
        return d_prob.reshape(len(self.grid), PARTNERS).mean(axis=1, keepdims=True)

    def _finish(self, epochs_done: int, stopped: bool) -> ToyResult:
        fake = self._generate()
        gen_mean, gen_std = float(np.mean(fake)), float(np.std(fake))
        distance = wasserstein1(fake, self.eval_real)
        final = self.run_dir / "final.png"
        self._draw(
            final,
            fake,
            f"after {epochs_done} epochs: generated mean {gen_mean:.3g} "
            f"(real {self.real_mean:.3g}), std {gen_std:.3g} (real {self.real_std:.3g})",
        )
        self.on_event(Preview(str(final), "final"))
        metrics_path = self.run_dir / "metrics.csv"
        runs.write_csv(metrics_path, METRIC_COLUMNS, self.rows)
        trained = self.rows[1:]
        if len(trained) >= 2:
            epochs = [row[0] for row in trained]
            plots.line_chart(
                self.run_dir / "curves.png",
                epochs,
                {
                    name: [row[METRIC_COLUMNS.index(name)] for row in trained]
                    for name in ("d_loss", "g_loss", "distance")
                },
                title="toy GAN",
                xlabel="epoch",
            )
        gif = self._write_gif() if self.config.gif and self.frames else None
        return ToyResult(
            run_dir=self.run_dir,
            final_png=final,
            gif_path=gif,
            metrics_path=metrics_path,
            real_mean=self.real_mean,
            real_std=self.real_std,
            gen_mean=gen_mean,
            gen_std=gen_std,
            distance=distance,
            real_peaks=peak_stats(self.eval_real, self.components),
            gen_peaks=peak_stats(fake, self.components),
            epochs=epochs_done,
            stopped=stopped,
        )

    def _write_gif(self) -> Path:
        from PIL import Image

        pictures = [images.open_rgb(path) for path in self.frames]
        palette = [picture.quantize(colors=128, dither=Image.Dither.NONE) for picture in pictures]
        durations = [FRAME_MS] * (len(palette) - 1) + [LAST_FRAME_MS]
        path = self.run_dir / "training.gif"
        with runs.atomic_path(path, suffix=".gif") as tmp:
            palette[0].save(
                tmp, format="GIF", save_all=True, append_images=palette[1:], duration=durations, loop=0
            )
        self.on_event(Message(f"saved {path} ({len(palette)} frames)"))
        return path
