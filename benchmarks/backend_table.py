"""Speed per Keras backend and device: the figures of docs/benchmarks.md's performance table.

For the active backend (KERAS_BACKEND) and its first device, prints:
  - DCGAN training images/s at 64x64 for batch 64 and 256, for each precision
    (the bare train step on one in-memory batch; see dcgan_throughput.py for the
    whole loop), and
  - style transfer wall seconds for one 512 px result with artgen's defaults
    (chelsea.jpg in the style of starry_night.jpg from artgen/bundled/), compile included,
    then the compile time and the time per iteration told apart, run cold and
    again warm (JAX keeps compiled programs in artgen's cache directory), and the
    host-device round trips per iteration.

    KERAS_BACKEND=tensorflow python benchmarks/backend_table.py
    KERAS_BACKEND=jax python benchmarks/backend_table.py
    python benchmarks/backend_table.py --all       # every installed backend, one table
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE.parent / "artgen" / "bundled"
PRECISIONS_CPU = ("float32",)
PRECISIONS_GPU = ("float32", "bf16", "mixed")


def device_name() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return device.device_kind if device.platform == "gpu" else f"CPU ({os.cpu_count()} cores)"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    return f"CPU ({os.cpu_count()} cores)"


def dcgan_rows(steps: int) -> list[dict]:
    sys.path.insert(0, str(HERE))
    from dcgan_throughput import bare_step

    from artgen.dcgan import TrainConfig
    from artgen.dcgan.placement import has_gpu

    rows = []
    for precision in PRECISIONS_GPU if has_gpu() else PRECISIONS_CPU:
        for batch in (64, 256):
            config = TrainConfig(data_dir="unused", width=64, batch_size=batch, precision=precision)
            rate = bare_step(steps, config)
            rows.append({"what": f"DCGAN 64px batch {batch} ({precision})", "value": f"{rate:,.0f} img/s"})
    return rows


def style_rows() -> list[dict]:
    from artgen.style import StyleConfig, transfer

    rows = []
    for run in ("cold", "warm"):
        with tempfile.TemporaryDirectory() as folder:
            config = StyleConfig(
                content=str(ASSETS / "samples" / "chelsea.jpg"),
                styles=(str(ASSETS / "styles" / "starry_night.jpg"),),
                out=str(Path(folder) / "out.png"),
            )
            started = time.perf_counter()
            result = transfer(config)
            seconds = time.perf_counter() - started
        value = (
            f"{seconds:.1f} s (compiling {result.compile_seconds:.1f} s, "
            f"{result.iteration_seconds:.3f} s/iteration, "
            f"{result.round_trips / result.iterations:.2f} round trips/iteration)"
        )
        rows.append({"what": f"style transfer 512px (defaults, {run})", "value": value})
    return rows


def measure(steps: int, skip_style: bool) -> dict:
    import keras

    rows = dcgan_rows(steps)
    if not skip_style:
        rows.extend(style_rows())
    return {"backend": keras.backend.backend(), "device": device_name(), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--all", action="store_true", help="run every installed backend in its own process")
    parser.add_argument("--steps", type=int, default=30, help="timed DCGAN steps per figure")
    parser.add_argument("--skip-style", action="store_true")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.all:
        result = measure(args.steps, args.skip_style)
        if args.json:
            print(json.dumps(result))
            return
        results = [result]
    else:
        results = []
        for backend in ("tensorflow", "jax"):
            if importlib.util.find_spec(backend) is None:
                continue
            command = [sys.executable, __file__, "--json", "--steps", str(args.steps)]
            command += ["--skip-style"] if args.skip_style else []
            out = subprocess.run(
                command,
                env={**os.environ, "KERAS_BACKEND": backend},
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| backend | device | measurement | result |\n| --- | --- | --- | --- |")
    for result in results:
        for row in result["rows"]:
            print(f"| {result['backend']} | {result['device']} | {row['what']} | {row['value']} |")


if __name__ == "__main__":
    main()
