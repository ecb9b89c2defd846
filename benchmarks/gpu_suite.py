"""One accelerator's figures in one run, Keras on JAX: style transfer, DCGAN training and walks.

Rows, in this order (each in this one process, so "cold" means the first call here):

* ``--method fast`` at 1024 px: seconds per picture, warm (networks built and
  compiled for the size; reading, painting and writing the PNG);
* Gatys at 512 px with its defaults: the first run (VGG loaded, programs
  compiled) and the same run again (warm);
* Gatys at 2048 px with its defaults: seconds, and the device's peak memory;
* Gatys at 4096 px, 2 iterations a scale: the device's peak memory;
* DCGAN at 64 px, batch 64: the whole training loop (feeder, step, metrics,
  events) against its bare step on one in-memory batch, images/s and their ratio
  (``benchmarks/dcgan_throughput.py``'s measurements), on the bundled emoji;
* the latent walk: frames/s of 120 frames at 64 px to a GIF, warm, from the
  bundled generator (``benchmarks/walk_speed.py``'s row (a)).

Peak memory is JAX's ``peak_bytes_in_use`` for the first device: the process's
high-water mark so far, which is why the big pictures come last, smallest first.
Where JAX keeps no memory figures (a CPU), it reads n/a. CPU seconds are the
whole process's, every thread. Aimed at under 8 minutes on one H100.

    python benchmarks/gpu_suite.py --out gpu.md     # on the GPU machine
    python benchmarks/gpu_suite.py --tiny           # every row at toy sizes, on a CPU, in seconds

KERAS_BACKEND is set to jax here, before Keras is imported.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "artgen" / "bundled"
PHOTO = BUNDLED / "samples" / "astronaut.jpg"
PAINTING = BUNDLED / "styles" / "starry_night.jpg"

# the rows every table holds, in order; the test of --tiny checks each is printed
ROWS = (
    "fast, warm, per picture",
    "Gatys, cold (first run)",
    "Gatys, warm",
    "DCGAN whole training loop",
    "DCGAN bare step",
    "DCGAN loop / bare step",
    "walk, warm",
    "Gatys big, time",
    "Gatys big, peak device memory",
    "Gatys huge, peak device memory",
)


@dataclass(frozen=True)
class Sizes:
    fast: int
    fast_repeats: int
    gatys: int
    gatys_iterations: int | None  # None: StyleConfig's default
    gatys_scales: int | None
    big: int
    huge: int
    huge_iterations: int
    dcgan_size: int
    dcgan_width: int
    dcgan_batch: int
    dcgan_steps: int
    walk_frames: int


FULL = Sizes(
    fast=1024,
    fast_repeats=5,
    gatys=512,
    gatys_iterations=None,
    gatys_scales=None,
    big=2048,
    huge=4096,
    huge_iterations=2,
    dcgan_size=64,
    dcgan_width=64,
    dcgan_batch=64,
    dcgan_steps=40,
    walk_frames=120,
)
TINY = Sizes(
    fast=64,
    fast_repeats=1,
    gatys=48,
    gatys_iterations=2,
    gatys_scales=1,
    big=48,  # the Gatys rows' size: its programs are reused, the row is only shown to run
    huge=48,
    huge_iterations=1,
    dcgan_size=32,
    dcgan_width=8,
    dcgan_batch=8,
    dcgan_steps=2,
    walk_frames=8,
)


def measured(fn):
    """(result, wall seconds, CPU seconds) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def peak_memory() -> str:
    """The first device's peak bytes in use so far, or n/a where JAX keeps no memory figures."""
    import jax

    stats = jax.devices()[0].memory_stats()
    if not stats or "peak_bytes_in_use" not in stats:
        return "n/a"
    return f"{stats['peak_bytes_in_use'] / 2**30:.2f} GiB"


class Table:
    """The rows as they are measured, printed as they come and kept for ``--out``."""

    def __init__(self, heading: str) -> None:
        columns = "| row | size | figure | CPU s | notes |"
        self.lines = [heading, "", columns, "| --- | --- | --- | --- | --- |"]
        for line in self.lines:
            print(line, flush=True)

    def add(self, row: str, size: str, figure: str, cpu: float | None = None, notes: str = "") -> None:
        cpu_text = f"{cpu:.1f}" if cpu is not None else "-"
        line = f"| {row} | {size} | {figure} | {cpu_text} | {notes} |"
        self.lines.append(line)
        print(line, flush=True)


def style_config(size: int, out: Path, iterations: int | None, scales: int | None, **more):
    from artgen.style import StyleConfig

    effort = {"iterations": iterations, "scales": scales}
    return StyleConfig(
        str(PHOTO),
        (str(PAINTING),),
        size=size,
        out=str(out),
        overwrite=True,
        preview_every=0,
        **{name: value for name, value in effort.items() if value is not None},
        **more,
    )


def fast_rows(table: Table, sizes: Sizes, work: Path) -> None:
    from artgen.style.fast import paint

    config = style_config(sizes.fast, work / "fast.png", None, None, method="fast")
    paint(config)  # builds and compiles the networks for this size
    _, wall, cpu = measured(lambda: [paint(config) for _ in range(sizes.fast_repeats)])
    n = sizes.fast_repeats
    table.add(ROWS[0], f"{sizes.fast} px", f"{wall / n:.3f} s", cpu / n, f"mean of {n}, CPU s per picture")


def gatys(config) -> tuple[str, float, float]:
    """Run one Gatys picture; (its memory plan line, wall s, CPU s)."""
    from artgen.style import transfer

    plans: list[str] = []

    def on_event(event: object) -> None:
        text = getattr(event, "text", "")
        if text.startswith("estimated peak"):
            plans.append(text)

    _, wall, cpu = measured(lambda: transfer(config, on_event))
    return (plans[0] if plans else ""), wall, cpu


def gatys_rows(table: Table, sizes: Sizes, work: Path) -> None:
    config = style_config(sizes.gatys, work / "gatys.png", sizes.gatys_iterations, sizes.gatys_scales)
    effort = f"{config.iterations} iterations x {config.scales} scales"
    _, wall, cpu = gatys(config)
    table.add(ROWS[1], f"{sizes.gatys} px", f"{wall:.1f} s", cpu, f"{effort}; VGG load and compiles included")
    _, wall, cpu = gatys(config)
    table.add(ROWS[2], f"{sizes.gatys} px", f"{wall:.1f} s", cpu, effort)


def big_rows(table: Table, sizes: Sizes, work: Path) -> None:
    config = style_config(sizes.big, work / "big.png", sizes.gatys_iterations, sizes.gatys_scales)
    plan, wall, cpu = gatys(config)
    effort = f"{config.iterations} iterations x {config.scales} scales"
    table.add(ROWS[7], f"{sizes.big} px", f"{wall:.1f} s", cpu, effort)
    table.add(ROWS[8], f"{sizes.big} px", peak_memory(), None, plan)
    config = style_config(sizes.huge, work / "huge.png", sizes.huge_iterations, sizes.gatys_scales)
    plan, wall, cpu = gatys(config)
    notes = f"{config.iterations} iterations x {config.scales} scales, {wall:.1f} s; {plan}"
    table.add(ROWS[9], f"{sizes.huge} px", peak_memory(), cpu, notes)


def dcgan_rows(table: Table, sizes: Sizes) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from dcgan_throughput import artgen_loop, bare_step

    from artgen.dcgan import TrainConfig

    shape = {"size": sizes.dcgan_size, "width": sizes.dcgan_width, "batch_size": sizes.dcgan_batch}
    size = f"{sizes.dcgan_size} px, batch {sizes.dcgan_batch}"
    notes = f"{sizes.dcgan_steps} steps after 5 warm-up, float32, bundled emoji"
    loop, _, cpu = measured(lambda: artgen_loop(BUNDLED / "emoji", sizes.dcgan_steps, **shape))
    table.add(ROWS[3], size, f"{loop:.0f} img/s", cpu, notes + "; CPU s include start-up")
    config = TrainConfig(data_dir="unused", precision="float32", **shape)
    bare, _, cpu = measured(lambda: bare_step(sizes.dcgan_steps, config))
    table.add(ROWS[4], size, f"{bare:.0f} img/s", cpu, "one in-memory batch, compute only")
    table.add(ROWS[5], size, f"{loop / bare:.3f}", None, "target >= 0.95")


def walk_rows(table: Table, sizes: Sizes, work: Path) -> None:
    from artgen.generators.locate import DEFAULT_GENERATOR
    from artgen.generators.sampling import load_generator
    from artgen.walk import WalkConfig
    from artgen.walk.engine import render_with

    generator = load_generator(str(DEFAULT_GENERATOR))
    config = WalkConfig(out=str(work / "walk.gif"), frames=sizes.walk_frames, overwrite=True)
    render_with(generator, config)  # traces the model and fills caches
    _, wall, cpu = measured(lambda: render_with(generator, config))
    side = int(generator.output_shape[1])
    notes = f"{sizes.walk_frames} frames to GIF, bundled generator"
    table.add(ROWS[6], f"{side} px", f"{sizes.walk_frames / wall:.0f} frames/s", cpu, notes)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="every row at toy sizes (a CPU, seconds)")
    parser.add_argument("--out", type=Path, help="also write the table (markdown) here")
    args = parser.parse_args()
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))
    import jax
    import keras

    sizes = TINY if args.tiny else FULL
    device = jax.devices()[0]
    heading = (
        f"gpu_suite{' --tiny' if args.tiny else ''}: Keras {keras.__version__} on {keras.backend.backend()} "
        f"(JAX {jax.__version__}), {device.platform} {device.device_kind} x{len(jax.devices())}, "
        f"{os.cpu_count()} CPU cores, {platform.python_version()}"
    )
    if keras.backend.backend() != "jax":
        raise SystemExit("Keras was imported before KERAS_BACKEND could be set to jax")
    started = time.perf_counter()
    table = Table(heading)
    with tempfile.TemporaryDirectory(prefix="artgen-gpu-suite-") as tmp:
        work = Path(tmp)
        fast_rows(table, sizes, work)
        gatys_rows(table, sizes, work)
        dcgan_rows(table, sizes)
        walk_rows(table, sizes, work)
        big_rows(table, sizes, work)  # last: peak memory is the process's high-water mark
    table.lines.append(f"\nwhole suite {time.perf_counter() - started:.0f} s wall")
    print(table.lines[-1])
    if args.out:
        args.out.write_text("\n".join(table.lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
