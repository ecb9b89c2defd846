"""Latent walk speed: warm frames per second, and the whole command's wall time.

(a) frames/s for 120 frames at 64 px written to GIF from a generator already in
memory (after one warm-up walk); (b) the wall time of
``artgen walk --frames 120 out.gif`` as a fresh process, start-up included;
(c) the wall time of ``python -c "import tensorflow"`` on the same machine.
Targets on a 2-core CPU: (a) >= 300 frames/s; (b) <= (c) + 2 s.

Run from the repository root:

    nice python benchmarks/walk_speed.py                         # the bundled generator
    nice python benchmarks/walk_speed.py --model runs/x/generator.keras

Without a bundled generator (or --model), a fresh 64 px DCGAN generator with the
trainer's defaults (latent 100, width 64) is saved and walked: its speed is a
trained one's, only its pictures are noise. Outputs go to runs/benchmarks/walk/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _model(out_dir: Path, given: str | None) -> str:
    from artgen.generators.sampling import DEFAULT_GENERATOR

    if given:
        return given
    if DEFAULT_GENERATOR.exists():
        return str(DEFAULT_GENERATOR)
    from artgen.dcgan.models import build_generator

    path = out_dir / "fresh64.keras"
    build_generator(size=64, latent_dim=100, width=64).save(path)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="generator to walk (default: bundled, else a fresh 64 px one)")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timing; the median is reported")
    args = parser.parse_args()
    out_dir = ROOT / "runs" / "benchmarks" / "walk"
    out_dir.mkdir(parents=True, exist_ok=True)

    from artgen.generators.sampling import load_generator
    from artgen.walk import WalkConfig
    from artgen.walk.engine import render_with

    model = _model(out_dir, args.model)
    generator = load_generator(model)
    size = int(generator.output_shape[1])

    def walk() -> float:
        config = WalkConfig(out=str(out_dir / "warm.gif"), frames=args.frames, overwrite=True)
        started = time.perf_counter()
        render_with(generator, config)
        return args.frames / (time.perf_counter() - started)

    walk()  # warm-up: traces the model and fills caches
    warm = statistics.median(walk() for _ in range(args.repeats))

    artgen = str(Path(sys.executable).with_name("artgen"))
    command = [
        artgen,
        "walk",
        "--model",
        model,
        "--frames",
        str(args.frames),
        "--overwrite",
        str(out_dir / "cold.gif"),
    ]
    cold = statistics.median(_timed(command) for _ in range(args.repeats))
    tf_import = statistics.median(
        _timed([sys.executable, "-c", "import tensorflow"]) for _ in range(args.repeats)
    )
    gif_kb = (out_dir / "cold.gif").stat().st_size / 1024
    figures = {
        "model": model,
        "size_px": size,
        "frames": args.frames,
        "warm_frames_per_s": round(warm, 1),
        "command_wall_s": round(cold, 2),
        "import_tensorflow_s": round(tf_import, 2),
        "command_minus_import_s": round(cold - tf_import, 2),
        "gif_kib": round(gif_kb, 1),
        "targets": {"warm_frames_per_s": ">= 300", "command_minus_import_s": "<= 2"},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
