"""Fixtures shared by the whole suite: isolated caches and tiny generated datasets."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's dataset cache and job history out of the user's home."""
    monkeypatch.setenv("ARTGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("ARTGEN_DATA_DIR", str(tmp_path_factory.mktemp("data")))


def make_shapes(folder: Path, count: int = 24, size: int = 40, seed: int = 0) -> Path:
    """Coloured discs on coloured backgrounds: a dataset a tiny GAN can learn from."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        background = tuple(int(c) for c in rng.integers(0, 256, 3))
        image = Image.new("RGB", (size, size), background)
        x, y = (int(v) for v in rng.integers(2, size // 2, 2))
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        ImageDraw.Draw(image).ellipse([x, y, x + size // 3, y + size // 3], fill=fill)
        image.save(folder / f"shape-{index:03d}.png")
    return folder


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_shapes(tmp_path_factory.mktemp("shapes"))


@pytest.fixture(scope="session")
def tiny_model() -> tuple[str, ...]:
    """``artgen train`` options for the smallest DCGAN that still learns: a run takes seconds on a CPU
    (no quality evaluation: VGG16 features would take longer than the run)."""
    return ("--size", "32", "--width", "8", "--latent-dim", "8", "--batch-size", "8", "--eval-every", "0")


@pytest.fixture
def wait_for():
    """``wait_for(predicate, timeout=20)``: poll until ``predicate()`` holds; fail at the timeout."""

    def wait(predicate, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.02)

    return wait


@pytest.fixture
def demo_kind():
    """The demo engine registered as a job kind: a fake that "trains" in milliseconds."""
    from demo_engine import DEMO_KIND

    from artgen.jobs import kinds

    kinds.register(DEMO_KIND)
    yield
    kinds.unregister("demo")


@pytest.fixture
def runner(tmp_path: Path):
    """A real job runner over a history in ``tmp_path``, shut down after the test."""
    from artgen.jobs import HistoryStore, Runner

    runner = Runner(HistoryStore(tmp_path / "jobs.sqlite"), stop_timeout=5)
    yield runner
    runner.shutdown(timeout=2)


@pytest.fixture(autouse=True)
def image_limit():
    """A command run in this process sets its image limit (``--max-pixels``): the next test starts anew."""
    from artgen import images
    from artgen.configs import MAX_PIXELS

    yield
    images.limit_pixels(MAX_PIXELS)


@pytest.fixture(scope="session")
def tiny_generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 32 px generator (latent 8) whose output changes visibly with the latent, saved as .keras.

    Fresh DCGAN weights (N(0, 0.02)) give nearly the same grey image for every
    latent; kernels ten times larger make pictures differ as a trained model's do.
    """
    from artgen.dcgan.models import build_generator

    generator = build_generator(size=32, latent_dim=8, width=8, seed=0)
    generator.set_weights([w * 10 if w.ndim >= 2 else w for w in generator.get_weights()])
    path = tmp_path_factory.mktemp("generator") / "tiny.keras"
    generator.save(path)
    return path
