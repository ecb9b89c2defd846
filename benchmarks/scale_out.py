"""Scale-out figures: jobs side by side on a 2-GPU fake, and the Ray executor against local children.

    .venv/bin/python benchmarks/scale_out.py gpus      # placement log on a fake 2-GPU machine
    .venv/bin/python benchmarks/scale_out.py ray       # submit-to-first-event and whole-job wall time

``gpus`` runs three GPU jobs of the test suite's demo engine (a fake that trains in
milliseconds) on a fake list of two GPUs and prints when each job queued, started (and on
which GPU) and ended: two run side by side while the third waits for a freed GPU.

``ray`` starts a local Ray instance (2 CPUs, no dashboard) and runs the same jobs through
the local executor (spawned children) and the Ray executor (tasks), in this one process:
the time from ``submit`` to the job's first engine event, and from ``submit`` to ``done``,
for the demo job (no backend import: the executor's own overhead) and for a tiny walk
(4 frames at 32 px, the real engine: TensorFlow's import included). Medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # artgen from this checkout; the demo engine from tests/

from demo_engine import DEMO_KIND  # noqa: E402

from artgen.events import Progress  # noqa: E402
from artgen.jobs import HistoryStore, Runner, kinds  # noqa: E402
from artgen.jobs.devices import DeviceInfo, Gpu  # noqa: E402

FAKE_GPUS = DeviceInfo(
    (
        Gpu("Fake GPU A", 16_384, index=0, uuid="GPU-fake-a", used_mb=4_096),
        Gpu("Fake GPU B", 16_384, index=1, uuid="GPU-fake-b", used_mb=512),
    )
)


def gpus(folder: Path) -> None:
    kinds.register(DEMO_KIND.__class__(**{**DEMO_KIND.__dict__, "name": "gpu-demo", "uses_gpu": True}))
    runner = Runner(HistoryStore(folder / "jobs.sqlite"), probe=lambda: FAKE_GPUS)
    start = time.monotonic()

    def show(update) -> None:
        if update.event is None:  # a state change
            record = update.record
            where = f" on {record.placement}" if record.state == "running" else ""
            name = Path(record.config["run_dir"]).name
            print(f"t={time.monotonic() - start:5.2f}s  job {name}  {record.state}{where}")

    runner.subscribe(show)
    try:
        jobs = [
            runner.submit("gpu-demo", {"run_dir": str(folder / name), "steps": 40, "delay": 0.05})
            for name in "ABC"
        ]
        for record in jobs:
            runner.wait(record.id, timeout=120)
        time.sleep(0.2)
        for record in jobs:
            print(f"job {Path(record.config['run_dir']).name}: {runner.log(record.id)[0][1]}")
    finally:
        runner.shutdown(timeout=5)


def timed_job(runner: Runner, kind: str, config: dict) -> tuple[float, float]:
    """Seconds from submit to the first engine event, and to the job's end."""
    first: list[float] = []
    submitted = time.monotonic()

    def listen(update) -> None:
        if isinstance(update.event, Progress) and not first:
            first.append(time.monotonic())

    unsubscribe = runner.subscribe(listen)
    try:
        record = runner.submit(kind, config, device="cpu")
        done = runner.wait(record.id, timeout=300)
        ended = time.monotonic()
        assert done.state == "done", done.error
    finally:
        unsubscribe()
    return first[0] - submitted, ended - submitted


def compare(folder: Path, repeats: int) -> None:
    import ray

    from artgen.jobs.ray_executor import RayExecutor

    # Ray's workers inherit this environment (as a cluster's nodes have artgen installed); a
    # runtime_env would instead start a fresh worker for every task, seconds each.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests"), *sys.path])
    began = time.monotonic()
    ray.init(num_cpus=2, object_store_memory=80 * 2**20, include_dashboard=False, log_to_driver=False)
    print(f"local Ray instance started in {time.monotonic() - began:.1f} s (not counted below)")
    jobs = {
        "demo (5 steps)": (
            "demo",
            lambda n: {"run_dir": str(folder / f"demo-{n}"), "steps": 5, "delay": 0.0},
        ),
        "walk (4 frames, 32 px)": (
            "walk",
            lambda n: {"out": str(folder / f"walk-{n}.gif"), "frames": 4, "size": 32},
        ),
    }
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    counter = 0
    for executor_name in ("local", "ray"):
        executor = RayExecutor() if executor_name == "ray" else None
        runner = Runner(HistoryStore(folder / f"{executor_name}.sqlite"), executor=executor)
        try:
            for label, (kind, config) in jobs.items():
                for _ in range(repeats):
                    counter += 1
                    results.setdefault((label, executor_name), []).append(
                        timed_job(runner, kind, config(counter))
                    )
        finally:
            runner.shutdown(timeout=10)
    print(f"\n{'job':<24}{'executor':<10}{'submit→first event':>20}{'whole job':>12}   (median of {repeats})")
    for label in jobs:
        medians = {}
        for executor_name in ("local", "ray"):
            runs = results[(label, executor_name)]
            first = statistics.median(r[0] for r in runs)
            whole = statistics.median(r[1] for r in runs)
            medians[executor_name] = (first, whole)
            print(f"{label:<24}{executor_name:<10}{first:>18.2f} s{whole:>10.2f} s")
        ratio_first = medians["ray"][0] / medians["local"][0]
        ratio_whole = medians["ray"][1] / medians["local"][1]
        print(f"{'':<24}{'ray/local':<10}{ratio_first:>19.2f}x{ratio_whole:>11.2f}x")
    ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=("gpus", "ray"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    kinds.register(DEMO_KIND)
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("ARTGEN_CACHE_DIR", str(Path(folder) / "cache"))
        if args.part == "gpus":
            gpus(Path(folder))
        else:
            compare(Path(folder), args.repeats)


if __name__ == "__main__":
    main()
