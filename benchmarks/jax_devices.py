"""JAX data parallel: the same DCGAN run on one device and on N, losses and time per step.

    .venv/bin/python benchmarks/jax_devices.py [--devices 2] [--steps 30] [--data DIR]

Each run is a fresh interpreter under ``KERAS_BACKEND=jax``; on a machine without GPUs
the N-device run splits the CPU with ``XLA_FLAGS=--xla_force_host_platform_device_count=N``
(the same cores, so no speed-up is expected there: it shows the overhead and that the
losses agree). On a GPU machine both runs use the GPUs JAX sees. Time per step is the
median over the steps after the first two (compilation excluded), from the run's own
``img_per_s`` column; the loss difference is the largest over every step and loss.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EMOJI = ROOT / ".data" / "emoji"

RUN = """
import sys
from artgen.dcgan import TrainConfig, train
data, run_dir, devices, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
config = TrainConfig.tiny(
    data, run_dir=run_dir, steps=steps, size=32, width=16, latent_dim=32, batch_size=32,
    checkpoint_every=steps, devices=devices if devices > 1 else None,
)
train(config)
"""


def run(data: str, folder: Path, devices: int, steps: int) -> np.ndarray:
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT)}
    if devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    run_dir = folder / f"devices-{devices}"
    command = [sys.executable, "-c", RUN, data, str(run_dir), str(devices), str(steps)]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1, usecols=range(6))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--data", default=str(EMOJI))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("ARTGEN_CACHE_DIR", str(Path(folder) / "cache"))
        one = run(args.data, Path(folder), 1, args.steps)
        many = run(args.data, Path(folder), args.devices, args.steps)
    batch = 32
    per_step = {
        n: statistics.median(batch / rate for rate in table[2:, 5])
        for n, table in ((1, one), (args.devices, many))
    }
    difference = np.abs(many[:, 1:5] - one[:, 1:5]).max()
    print(f"DCGAN 32 px, width 16, global batch {batch}, {args.steps} steps, {args.data}")
    print(f"largest loss difference, {args.devices} devices vs 1, over every step: {difference:.2e}")
    for n, seconds in per_step.items():
        print(f"{n} device(s): {1000 * seconds:.1f} ms per step")
    print(f"{args.devices} devices / 1: {per_step[args.devices] / per_step[1]:.2f}x the time per step")


if __name__ == "__main__":
    main()
