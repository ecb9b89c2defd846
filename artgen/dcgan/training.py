"""The DCGAN training loop: data in, run directory out, events on the side.

Layout of a run directory::

    config.json            the TrainConfig (``--resume`` rebuilds the run from it)
    checkpoints/           step-NNNNNNNN.npz, every variable of the run
    images/step-NNNNNNNN.png  samples from a fixed latent batch (classic runs: epoch-NNNN.png)
    metrics.csv            step, d_loss, g_loss, d_real, d_fake, img_per_s, fd, kid
                           (FD/KID on the rows of evaluations: see schedule.py for when)
    loss.png               the loss curves
    quality.json           what the quality watch remembers (best FD, recent FDs)
    best/checkpoints/      the full state at the lowest FD (for --on-collapse rollback)
    generator-best.keras   the generator at the lowest FD (unless --eval-every 0)
    generator.keras        the final (EMA) generator, for ``artgen sample``/``walk``
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from artgen import images as image_io
from artgen import plots, runs, stored
from artgen.dcgan import augment, checkpoint, schedule
from artgen.dcgan.config import RESUMABLE, TrainConfig
from artgen.dcgan.feed import STREAM_FIXED, prefetch, rng_for
from artgen.dcgan.gan import GAN, build_gan, sampling_copy
from artgen.dcgan.placement import Placement, is_out_of_memory, placement, resolve_precision
from artgen.dcgan.watch import WatchState
from artgen.errors import DamagedFile, InputError, OutOfMemory, TrainingDiverged
from artgen.events import Message, Metrics, OnEvent, Preview, Progress, ShouldStop, ignore_events, never_stop

if TYPE_CHECKING:  # the watch loads VGG16: only a run that evaluates imports it
    from artgen.dcgan.watch import QualityWatch

__all__ = ["TrainResult", "train", "METRIC_COLUMNS"]

METRIC_COLUMNS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "img_per_s", "fd", "kid")
ARCHIVE_EVERY = 10  # beyond the newest --keep-samples grids, every 10th grid is kept
GRID_NAME = re.compile(r"step-\d{8}\.png")  # a sample grid's whole name, as _scheduled_samples writes it
ROLLBACK_LR_FACTOR = 0.5


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    step: int
    total_steps: int
    generator_path: Path | None  # None when the run was stopped before its end
    stopped: bool


def train(
    config: TrainConfig, on_event: OnEvent = ignore_events, should_stop: ShouldStop = never_stop
) -> TrainResult:
    """Train (or resume, when ``config.run_dir`` holds a checkpoint) until done or asked to stop."""
    config = dataclasses.replace(config, data_dir=os.path.abspath(config.data_dir))  # resumable from anywhere
    settings = {"engine": "dcgan", **config.to_dict()}
    runs.check_run_dir(config.run_dir, config.runs_root, settings, RESUMABLE)  # refuse before the slow part
    earlier = _Earlier.read(Path(config.run_dir)) if config.run_dir is not None else _Earlier()
    data = image_io.load_folder(
        config.data_dir, config.size, image_io.parse_color(config.background), on_event
    )
    name = Path(config.data_dir).name
    # The run folder is made only now that the data is valid, and held until the run ends.
    with runs.open_run(
        config.run_dir, config.runs_root, name, settings, RESUMABLE, lock=config.strategy != "multi-worker"
    ) as run_dir:
        return _train(config, run_dir, data, earlier, on_event, should_stop)


@dataclass(frozen=True)
class _Earlier:
    """What a resumed run reads back besides its checkpoint, all checked before anything is written."""

    rows: list[list[float]] = dataclasses.field(default_factory=list)  # metrics.csv
    watch: WatchState | None = None  # quality.json

    @classmethod
    def read(cls, run_dir: Path) -> _Earlier:
        metrics, quality = run_dir / "metrics.csv", run_dir / "quality.json"
        return cls(
            _read_metrics(metrics) if metrics.exists() else [],
            stored.read_record(WatchState, quality) if quality.exists() else None,
        )


def _train(
    config: TrainConfig,
    run_dir: Path,
    data: image_io.FolderData,
    earlier: _Earlier,
    on_event: OnEvent,
    should_stop: ShouldStop,
) -> TrainResult:
    _report_dataset(data, config, on_event)
    total = config.total_steps(len(data.images))
    config = dataclasses.replace(config, precision=resolve_precision(config))
    # The steps see the augmentations this data gets; config.json keeps what the user asked.
    policy = augment.policy_for(config, len(data.images))
    if policy != config.augment:
        chosen = ",".join(policy)
        on_event(Message(f"{len(data.images)} images (under {config.augment_below}): DiffAugment {chosen}"))
    place = placement(dataclasses.replace(config, augment=policy))
    with place.scope():
        gan = build_gan(config, total)
        start = checkpoint.restore_latest(gan, run_dir, on_event, {"engine": "dcgan", **config.to_dict()})
        if start >= total and (run_dir / "generator.keras").exists():
            raise InputError(
                f"{run_dir} is already finished ({start} of {total} steps); to train longer: "
                f"artgen train --resume {run_dir} --steps {2 * total}"
            )
        if start:
            on_event(Message(f"resuming {run_dir} from step {start}"))
    if place.replicas > 1:
        on_event(Message(f"data parallel over {place.replicas} replicas, global batch {config.batch_size}"))
    if place.writes_files:
        runs.write_json(run_dir / "config.json", {"engine": "dcgan", **config.to_dict()})
    loop = _Loop(config, run_dir, gan, data.images, total, earlier, on_event, place)
    return loop.run(start, should_stop)


def _report_dataset(data: image_io.FolderData, config: TrainConfig, on_event: OnEvent) -> None:
    source = "cache" if data.from_cache else "disk"
    on_event(Message(f"{len(data.images)} images at {config.size}px from {config.data_dir} ({source})"))
    if data.skipped:
        on_event(Message(image_io.describe_skipped(data.skipped), "warning"))


class _Loop:
    """One training session: steps, logging, samples and checkpoints."""

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        gan: GAN,
        images: np.ndarray,
        total: int,
        earlier: _Earlier,
        on_event: OnEvent,
        place: Placement,
    ) -> None:
        self.config, self.run_dir, self.gan, self.images = config, run_dir, gan, images
        self.total, self.on_event = total, on_event
        self.per_epoch = config.steps_per_epoch(len(images))
        self.trainer = place.make_trainer(gan)
        self.writes_files = place.writes_files
        self.fixed_latents = rng_for(config.seed, STREAM_FIXED, 0).standard_normal(
            (config.samples, config.latent_dim), dtype=np.float32
        )
        self.rows = [list(row) for row in earlier.rows]
        self.sampler_copy: keras.Model | None = None
        self.watch: QualityWatch | None = None
        self.schedule: schedule.EvalSchedule | None = None
        self.last_quality: dict[str, float] = {}
        self.earlier_watch = earlier.watch  # quality.json as the run read it before writing anything

    def run(self, start: int, should_stop: ShouldStop) -> TrainResult:
        self.rows = [row for row in self.rows if row[0] <= start]
        if self.config.eval_every != 0 and self.writes_files:
            self._start_watch(start)
        window: list[dict[str, float]] = []
        window_start = time.perf_counter()
        last_saved = start
        step = start
        # The bar shows at once, where a resumed run starts; the first step builds (traces) the train
        # step, which can take minutes on a loaded CPU before any step is counted.
        self.on_event(
            Progress(start, self.total, unit="step", rate_unit="img/s", stage="building the train step")
        )
        for step, inputs in prefetch(self.images, self.config, start, self.total):
            if should_stop():
                self._checkpoint(step)
                self.on_event(
                    Message(f"stopped at step {step}; resume with: artgen train --resume {self.run_dir}")
                )
                return TrainResult(self.run_dir, step, self.total, None, stopped=True)
            values = self._step(inputs, step, last_saved)
            if not all(math.isfinite(v) for v in values.values()):
                self._write_metrics()
                raise TrainingDiverged(
                    f"losses became NaN/inf at step {step + 1}; the checkpoint of step {last_saved} in "
                    f"{self.run_dir} is kept; try a lower --learning-rate"
                )
            window.append(values)
            done = step + 1
            if done % self.config.log_every == 0 or done == self.total:
                elapsed = max(time.perf_counter() - window_start, 1e-9)
                rate = len(window) * self.config.batch_size / elapsed
                self._log(done, window, rate)
                window, window_start = [], time.perf_counter()
            self._scheduled_samples(done)
            if self.schedule is not None and self.schedule.due(done):
                verdict = self._evaluate(done)
                if verdict == "stop":
                    self._checkpoint(done)
                    return TrainResult(self.run_dir, done, self.total, None, stopped=True)
                if verdict == "rollback":
                    last_saved = done
            if done % self.config.checkpoint_every == 0 and done != self.total:
                self._checkpoint(done)
                last_saved = done
        return self._finish()

    def _start_watch(self, start: int) -> None:
        """The quality watch (it computes the real images' features, or reads them from the cache)."""
        from artgen.dcgan.watch import QualityWatch

        config = self.config
        self.on_event(Message(schedule.describe(config.eval_every, self.total - start)))
        self.watch = QualityWatch(
            self.images,
            config.latent_dim,
            config.seed,
            config.eval_samples,
            self.run_dir / "quality.json",
            self.earlier_watch or WatchState(),
            self.on_event,
        )
        seconds = self.watch.state.eval_seconds
        self.schedule = schedule.EvalSchedule(config.eval_every, start, self.total, seconds)

    def _step(self, inputs: dict[str, np.ndarray], step: int, last_saved: int) -> dict[str, float]:
        try:
            return self.trainer.step(inputs)
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            config = self.config
            raise OutOfMemory(
                f"out of device memory at step {step + 1} ({config.size}px, batch {config.batch_size}); "
                "lower --batch-size or --size, or use --precision mixed; "
                f"the checkpoint of step {last_saved} is intact"
            ) from None

    def _log(self, step: int, window: list[dict[str, float]], rate: float) -> None:
        means = {key: float(np.mean([values[key] for values in window])) for key in window[0]}
        self.rows.append([step, *(means[c] for c in METRIC_COLUMNS[1:5]), rate, math.nan, math.nan])
        epoch = min(step // self.per_epoch + 1, math.ceil(self.total / self.per_epoch))
        # The newest FD/KID ride along with every loss row, so a progress line keeps showing them.
        self.on_event(Metrics(step, {**means, "img_per_s": rate, **self.last_quality}))
        self.on_event(
            Progress(
                step,
                self.total,
                unit="step",
                rate=rate,
                rate_unit="img/s",
                stage=f"epoch {epoch}/{math.ceil(self.total / self.per_epoch)}",
            )
        )

    def _sampler(self) -> keras.Model:
        """The generator samples are drawn from, up to date with the trainer's state."""
        self.trainer.sync()
        self.sampler_copy = sampling_copy(self.gan, self.config, self.sampler_copy)
        return self.sampler_copy

    def _scheduled_samples(self, done: int) -> None:
        config = self.config
        if config.sample_unit == "epoch":
            epoch, rest = divmod(done, self.per_epoch)
            if rest == 0 and epoch % config.sample_every == 0:
                self._samples(f"epoch-{epoch:04d}.png", f"epoch {epoch}")
        elif done % config.sample_every == 0 and done != self.total:
            self._samples(f"step-{done:08d}.png", f"step {done}")
            self._prune_samples()

    def _prune_samples(self) -> None:
        """Keep the newest ``keep_samples`` grids and every ARCHIVE_EVERY-th one (a time lapse)."""
        keep = self.config.keep_samples
        if not keep or not self.writes_files:
            return
        grids = sorted(
            path for path in (self.run_dir / "images").glob("step-*.png") if GRID_NAME.fullmatch(path.name)
        )
        every = self.config.sample_every * ARCHIVE_EVERY
        for path in grids[:-keep]:
            if int(path.stem.split("-")[1]) % every:
                runs.remove_own(path, self.run_dir, GRID_NAME)

    def _samples(self, name: str, caption: str) -> None:
        if not self.writes_files:
            return
        generated = self._sampler()(self.fixed_latents, training=False)
        path = self.run_dir / "images" / name
        image_io.save_png(path, image_io.grid(image_io.to_uint8(keras.ops.convert_to_numpy(generated))))
        self.on_event(Preview(str(path), caption))

    def _evaluate(self, step: int, act: bool = True) -> str | None:
        """Score the sampler; keep the best; act on a collapse. Returns what was done about one."""
        assert self.watch is not None and self.schedule is not None
        started = schedule.clock()
        sampler = self._sampler()
        result = self.watch.evaluate(sampler, step)
        took = self.schedule.evaluated(step, started)
        self.watch.state.eval_seconds = took
        self.last_quality = {"fd": result.fd, "kid": result.kid}
        if self.rows and self.rows[-1][0] == step:
            self.rows[-1][-2:] = [result.fd, result.kid]
        else:
            self.rows.append([step, *[math.nan] * (len(METRIC_COLUMNS) - 3), result.fd, result.kid])
        self.on_event(Metrics(step, dict(self.last_quality)))
        best = " (best so far)" if result.is_best else ""
        self.on_event(
            Message(
                f"step {step}: FD {result.fd:.4g}, KID {result.kid:.4g} ± {result.kid_se:.2g}, "
                f"precision {result.precision:.2f}, recall {result.recall:.2f}{best} ({took:.1f} s)"
            )
        )
        if result.is_best:
            checkpoint.save(self.gan, self.run_dir / "best", step, keep=1, root=self.run_dir)
            with runs.atomic_path(self.run_dir / "generator-best.keras") as tmp:
                sampler.save(tmp)
        if result.alarm is None:
            return None
        action = self.config.on_collapse if act else "warn"
        if action == "warn":
            self.on_event(Message(f"step {step}: {result.alarm}; the best generator is kept", "warning"))
            return None
        if action == "stop":
            self.on_event(
                Message(f"step {step}: {result.alarm}; stopping (best: generator-best.keras)", "warning")
            )
            return "stop"
        kept = checkpoint.latest(self.run_dir / "best")
        assert kept is not None
        checkpoint.restore(self.gan, kept)
        for optimizer in (self.gan.g_optimizer, self.gan.d_optimizer):
            if isinstance(optimizer.learning_rate, keras.Variable):
                optimizer.learning_rate = optimizer.learning_rate * ROLLBACK_LR_FACTOR
        self.trainer.reload()
        self.watch.rolled_back()
        self._checkpoint(step)  # the rolled-back state is what a resume continues from
        self.on_event(
            Message(
                f"step {step}: {result.alarm}; rolled back to the best state "
                f"(step {self.watch.state.best_step}) with half the learning rate",
                "warning",
            )
        )
        return "rollback"

    def _write_metrics(self) -> None:
        if not self.writes_files:
            return
        runs.write_csv(self.run_dir / "metrics.csv", METRIC_COLUMNS, self.rows)
        if len(self.rows) >= 2:
            steps = [row[0] for row in self.rows]
            plots.line_chart(
                self.run_dir / "loss.png",
                steps,
                {"discriminator": [row[1] for row in self.rows], "generator": [row[2] for row in self.rows]},
                title="DCGAN losses",
            )

    def _checkpoint(self, step: int) -> None:
        if not self.writes_files:
            return
        self.trainer.sync()
        settings = {"engine": "dcgan", **self.config.to_dict()}
        checkpoint.save(self.gan, self.run_dir, step, self.config.keep_checkpoints, settings)
        if self.watch is not None:
            self.watch.save()
        self._write_metrics()

    def _finish(self) -> TrainResult:
        if self.watch is not None:
            self._evaluate(self.total, act=False)
        self._checkpoint(self.total)
        self._samples("final.png", "final samples")
        path = self.run_dir / "generator.keras"
        if not self.writes_files:
            return TrainResult(self.run_dir, self.total, self.total, None, stopped=False)
        with runs.atomic_path(path) as tmp:
            self._sampler().save(tmp)
        self.on_event(Message(f"saved {path}"))
        return TrainResult(self.run_dir, self.total, self.total, path, stopped=False)


def _read_metrics(path: Path) -> list[list[float]]:
    """The rows of a run's metrics.csv, steps as ints."""
    table = stored.read_table(path)
    if table.columns != METRIC_COLUMNS:
        raise DamagedFile(f"{path} is damaged: its columns are not {','.join(METRIC_COLUMNS)}")
    return [[int(row[0]), *row[1:]] for row in table.rows]
