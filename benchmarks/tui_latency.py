"""Studio latency: start-up time, and key press to screen update while a training job runs.

Targets: start < 1 s, key-to-update < 100 ms. Run with ``nice`` on a shared machine:

    .venv/bin/python benchmarks/tui_latency.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

STARTUP = """
import time, asyncio
started = time.perf_counter()
from tui.app import make_app
app = make_app(probe=None)
async def main():
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        print(f"{time.perf_counter() - started:.3f}")
asyncio.run(main())
app.runner.shutdown()
"""


def startup_seconds(data_dir: str, repeats: int = 5) -> list[float]:
    """Wall time from launching a fresh interpreter to the home screen drawn (headless)."""
    env = {**os.environ, "ARTGEN_DATA_DIR": data_dir}
    times = []
    for _ in range(repeats):
        launched = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP], check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - launched)
    return times


async def key_latency(data_dir: Path, presses: int = 40) -> tuple[list[float], int]:
    from artgen.dcgan.config import TrainConfig
    from artgen.jobs import HistoryStore, Runner
    from tui.app import make_app
    from tui.screens.jobs import JobsScreen

    folder = data_dir / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(32):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    runner = Runner(HistoryStore(data_dir / "jobs.sqlite"))
    config = TrainConfig.tiny(str(folder), steps=100_000, runs_root=str(data_dir / "runs")).to_dict()
    job = runner.submit("train", config, device="cpu")
    app = make_app(runner, probe=None)
    latencies = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            app.open_job(job.id)
            while runner.get(job.id).stage.startswith("decoding") or runner.get(job.id).step < 5:
                assert runner.get(job.id).active, runner.get(job.id).error
                await pilot.pause(0.2)
            for _ in range(presses):
                for key, screen in (("j", JobsScreen), ("escape", None)):
                    started = time.perf_counter()
                    await pilot.press(key)
                    for _ in range(5000):  # at most ~5 s: a key that changes nothing is a bug here
                        if screen is None or isinstance(app.screen, screen):
                            break
                        await pilot.pause(0.001)
                    await pilot.pause()  # the new screen's refresh has been processed
                    latencies.append(time.perf_counter() - started)
            steps = runner.get(job.id).step
    finally:
        runner.shutdown(timeout=30)
    return latencies, steps


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        starts = startup_seconds(tmp)
    print(
        f"start-up (fresh process to home screen): median {statistics.median(starts):.3f} s, "
        f"max {max(starts):.3f} s over {len(starts)} runs  (target < 1 s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARTGEN_CACHE_DIR"] = str(Path(tmp) / "cache")
        latencies, steps = asyncio.run(key_latency(Path(tmp)))
    ms = sorted(1000 * value for value in latencies)
    print(
        f"key press to screen update while training (job at step {steps}): "
        f"median {statistics.median(ms):.1f} ms, p95 {ms[int(0.95 * len(ms)) - 1]:.1f} ms, "
        f"max {ms[-1]:.1f} ms over {len(ms)} presses  (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
