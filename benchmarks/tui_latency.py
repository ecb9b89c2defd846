"""Studio latency as a user sees it: start-up, and key press to screen update during training.

Targets: start < 1 s, key-to-update < 100 ms.

    .venv/bin/python benchmarks/tui_latency.py [--presses 30]

The studio runs in a pseudo-terminal (100x30), exactly as in a real one, and this script
plays the terminal: it types keys and times the bytes the app writes back until the new
screen's text has been drawn. Textual's Pilot is not used for timing because ``press``
waits for the whole process to look idle in 20 ms sleeps, which measures the harness.

- start-up: launching ``python -m artgen`` until the home screen's "Recent jobs" is drawn;
- key to update, while a training job runs in the background: ``j`` on the job's live view
  until the job list is drawn, and ``enter`` on the list until the live view is drawn again.
  Escape is not timed: a terminal cannot tell a lone escape from the start of an escape
  sequence, so every terminal app waits ESCDELAY (100 ms in Textual) before acting on it.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

COLUMNS, LINES = 100, 30
# (what the timing says, key typed, text that shows the new screen has been drawn)
TIMED_KEYS = (
    ("j  (live view → job list)", b"j", "took"),  # a column of the job list
    ("enter  (job list → live view)", b"\r", "metrics"),  # the title of the live view's chart
)
ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])")

# The studio around a runner that already has a small training job going.
STUDIO_WITH_JOB = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    from PIL import Image
    from artgen.dcgan.config import TrainConfig
    from artgen.jobs import HistoryStore, Runner
    from artgen.tui.app import make_app

    data = Path(sys.argv[1])
    folder = data / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(32):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"{index}.png")
    runner = Runner(HistoryStore(data / "jobs.sqlite"))
    config = TrainConfig.tiny(str(folder), steps=1_000_000, runs_root=str(data / "runs")).to_dict()
    runner.submit("train", config, device="cpu")
    app = make_app(runner, probe=None)
    try:
        app.run()
    finally:
        runner.shutdown(timeout=30)
    """
)


class Terminal:
    """A pseudo-terminal running one command; ``wait_for`` reads its output until a text appears."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.screen = b""  # output since the last key, escape sequences removed

    def press(self, key: bytes) -> float:
        self.screen = b""
        os.write(self.master, key)
        return time.perf_counter()

    def wait_for(self, text: str, timeout: float = 60.0) -> float:
        """The moment ``text`` has been written (drawn) since the last key press."""
        wanted = text.encode()
        pending = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:  # the app exited
                break
            now = time.perf_counter()
            pending += chunk
            cut = pending.rfind(b"\x1b")  # keep a possibly unfinished escape sequence for the next read
            complete, pending = (pending[:cut], pending[cut:]) if cut >= 0 else (pending, b"")
            self.screen += ANSI.sub(b"", complete)
            if wanted in self.screen:
                return now
        drawn = self.screen[-300:].decode(errors="replace")
        raise TimeoutError(f"{text!r} was not drawn within {timeout:.0f} s; last output: {drawn!r}")

    def close(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        os.close(self.master)


def environment(data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": str(COLUMNS),
        "LINES": str(LINES),
        "ARTGEN_DATA_DIR": data_dir,
        "ARTGEN_CACHE_DIR": str(Path(data_dir) / "cache"),
    }


def startup_seconds(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as data_dir:
            terminal = Terminal([sys.executable, "-m", "artgen"], environment(data_dir))
            try:
                times.append(terminal.wait_for("Recent jobs") - terminal.started)
            finally:
                terminal.close()
    return times


def key_latencies(presses: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as data_dir:
        terminal = Terminal([sys.executable, "-c", STUDIO_WITH_JOB, data_dir], environment(data_dir))
        try:
            terminal.wait_for("Recent jobs")
            terminal.press(b"j")
            terminal.wait_for("took")
            terminal.press(b"\r")
            terminal.wait_for("img/s", timeout=120)  # the job is training and its view shows its rate
            latencies: dict[str, list[float]] = {name: [] for name, _, _ in TIMED_KEYS}
            for _ in range(presses):
                for name, key, drawn in TIMED_KEYS:
                    pressed = terminal.press(key)
                    latencies[name].append(terminal.wait_for(drawn) - pressed)
                    time.sleep(0.1)  # a person's pace; lets the live view stream in between
        finally:
            terminal.close()
    return latencies


def describe(times: list[float]) -> str:
    ms = sorted(1000 * value for value in times)
    p95 = ms[max(0, int(0.95 * len(ms)) - 1)]
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms over {len(ms)}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presses", type=int, default=30, help="presses of each key (default 30)")
    parser.add_argument("--starts", type=int, default=5, help="start-ups to time (default 5)")
    args = parser.parse_args()
    starts = startup_seconds(args.starts)
    print(
        f"start-up (python -m artgen to home screen drawn): median {statistics.median(starts):.3f} s, "
        f"max {max(starts):.3f} s over {len(starts)}  (target < 1 s)"
    )
    for name, times in key_latencies(args.presses).items():
        print(f"key {name} while training: {describe(times)}  (target < 100 ms)")


if __name__ == "__main__":
    main()
