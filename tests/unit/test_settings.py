"""The settings every engine shares (its backend, its image limit) travel in its config, and a setting's
text is read one way: the command line and the studio's form refuse a bad value in the same words."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from demo_engine import PICTURE_KIND
from PIL import Image

from artgen import images
from artgen.assets import asset
from artgen.cli import build_parser, main
from artgen.cli.options import typed
from artgen.configs import MAX_PIXELS
from artgen.jobs import JobRecord, kinds
from artgen.jobs.format import command_text
from artgen.tui.screens.form import check_field


@pytest.fixture
def picture_kind():
    kinds.register(PICTURE_KIND)
    yield
    kinds.unregister("picture")


def _seen(runner, job_id: str) -> tuple[dict, int]:
    """What the picture engine's child said of its environment and its image limit."""
    (line,) = [text for _, text in runner.log(job_id) if text.startswith("environment ")]
    seen, _, limit = line.removeprefix("environment ").partition("; limit ")
    return json.loads(seen), int(limit)


def test_a_jobs_child_takes_its_backend_and_image_limit_from_its_config(
    runner, picture_kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.delenv("ARTGEN_MAX_PIXELS", raising=False)
    picture = tmp_path / "wide.png"
    Image.new("RGB", (1200, 1000)).save(picture)  # 1.2 megapixels

    refused = runner.submit("picture", {"picture": str(picture), "backend": "jax", "max_pixels": 1_000_000})
    record = runner.wait(refused.id, timeout=30)
    assert record.state == "failed"
    assert "too large: 1200x1000 px" in record.error and "--max-pixels 1200000" in record.error
    # no variable carried either to the child: it set its backend from the config, before any Keras
    assert _seen(runner, refused.id) == ({"KERAS_BACKEND": "jax", "ARTGEN_MAX_PIXELS": None}, 1_000_000)

    allowed = runner.submit("picture", {"picture": str(picture), "max_pixels": 2_000_000})
    assert runner.wait(allowed.id, timeout=30).state == "done"
    assert _seen(runner, allowed.id) == (
        {"KERAS_BACKEND": "tensorflow", "ARTGEN_MAX_PIXELS": None},
        2_000_000,
    )
    # the parent (a studio) applied neither to itself
    assert "KERAS_BACKEND" not in os.environ and images.max_pixels() == MAX_PIXELS


# (command, kind, field, flag, bad text): numbers, a list, a grid, and both shared settings
BAD_VALUES = [
    (["walk", "out.gif"], "walk", "frames", "--frames", "abc"),
    (["train", "faces"], "train", "beta1", "--beta1", "half"),
    (["style", "a.png", "b.png"], "style", "style_blend", "--style-blend", "0.7,x"),
    (["walk", "out.gif"], "walk", "grid", "--grid", "3,2"),
    (["texture", "a.png"], "texture", "max_pixels", "--max-pixels", "lots"),
    (["sample", "out.png"], "sample", "backend", "--backend", "torch"),
]


@pytest.mark.parametrize(
    ("argv", "kind", "name", "flag", "text"),
    BAD_VALUES,
    ids=[f"{flag} {text}" for *_, flag, text in BAD_VALUES],
)
def test_the_command_line_and_the_form_refuse_a_bad_value_in_the_same_words(
    argv: list[str], kind: str, name: str, flag: str, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = next(spec for spec in kinds.form_fields(kinds.KINDS[kind]) if spec.name == name)
    value, said = check_field(spec, text)
    assert value is None and said
    with pytest.raises(SystemExit) as exited:
        main([argv[0], flag, text, *argv[1:]])
    assert exited.value.code == 2
    command = f"artgen {argv[0]}"
    assert capsys.readouterr().err == f"{command}: error: {flag}: {said}; see {command} --help\n"


@pytest.fixture
def with_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    """This environment as if JAX were installed: only its name is checked here, nothing imports it."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: object() if name == "jax" else real(name, *a)
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ("jax", 5_000_000)),
        (["--backend", "tensorflow", "--max-pixels", "2e6"], ("tensorflow", 2_000_000)),
    ],
    ids=["variables", "options"],
)
def test_a_commands_config_holds_the_shared_settings_from_its_options_else_the_variables(
    options: list[str], expected: tuple, with_jax, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("ARTGEN_MAX_PIXELS", "5e6")
    ran = []

    def engine(args, kind, config, *more):
        ran.append((config, images.max_pixels()))
        seam = SimpleNamespace(describe=lambda: "seamless")
        return SimpleNamespace(size=(8, 8), out=config.out, seconds=0.0, seam=seam, stopped=False)

    monkeypatch.setattr("artgen.cli.texture.run_engine", engine)
    painting = str(asset("styles", "starry_night.jpg"))
    assert main(["texture", painting, "-o", str(tmp_path / "t.png"), *options]) == 0
    ((config, limit),) = ran
    assert (config.backend, config.max_pixels) == expected
    assert limit == expected[1]  # the checks before the engine decode images by it too
    # the variables are the person's, read and left as they were
    assert os.environ["KERAS_BACKEND"] == "jax" and os.environ["ARTGEN_MAX_PIXELS"] == "5e6"


def test_a_jobs_command_line_carries_its_shared_settings_back(with_jax) -> None:
    """The studio's "run it from a shell" line gives the same config, backend and image limit included."""
    kind = kinds.get("predict")
    values = {"model": "/m.keras", "images": ("/a.png",), "backend": "jax", "max_pixels": 2_000_000}
    config = kinds.build_config(kind, values)
    line = command_text(JobRecord("20260101-120000-aaaa", "predict", config.to_dict()))
    assert line.endswith("--backend jax --max-pixels 2000000")
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert kind.config(**typed(args, kind.config)) == config
