"""The setting a command runs in: environment variables, the Keras backend, models of the wrong kind, no
terminal for the studio. Each is bad input: exit 2, one line naming what to change, nothing touched.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import REPO, hashes, refused, unchanged

from artgen import environment


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory, with a user's files in it that every case must leave as they were."""
    root = tmp_path / "scratch"
    root.mkdir()
    monkeypatch.chdir(root)
    (root / "notes.txt").write_text("a user's notes\n")
    (root / "existing.png").write_bytes(b"\x89PNG a user's picture")
    return root


def _refused_untouched(root: Path, outcome, *phrases: str) -> str:
    line = refused(outcome, 2, *phrases)
    assert not any(root.rglob(".artgen-tmp-*"))
    return line


# -- environment variables: each a setting, refused as a bad option would be ------------------------

# (variable, value, phrase): ``{file}`` is a user's file, where a folder is wanted
VARIABLES = [
    ("ARTGEN_MAX_PIXELS", "lots", "is not a number of pixels between 1000000 and 2000000000"),
    ("ARTGEN_MAX_PIXELS", "5", "must be between 1000000 and 2000000000, not 5"),
    ("ARTGEN_MAX_PIXELS", "1e400", "is not a number of pixels"),
    ("ARTGEN_CACHE_DIR", "{file}", "is a file, not a folder"),
    ("ARTGEN_DATA_DIR", "{file}/history", "is a file, not a folder"),
    ("ARTGEN_RAY_ADDRESS", "head-node", "is not a Ray address: give ray://HOST:PORT, HOST:PORT or auto"),
    ("ARTGEN_RAY_ADDRESS", "head:99999", "is not a Ray address"),
    ("ARTGEN_DEBUG", "maybe", "give 1 or 0"),
    ("KERAS_BACKEND", "torch", "'torch' is not a backend artgen runs on: give tensorflow or jax"),
    ("KERAS_BACKEND", "bogus", "give tensorflow or jax"),
    ("KERAS_HOME", "{file}", "is a file, not a folder"),
    ("XDG_CACHE_HOME", "{file}", "is a file, not a folder"),
    ("XDG_DATA_HOME", "{file}", "is a file, not a folder"),
    ("TF_CONFIG", "{not json", "give an object such as"),
    ("TF_CONFIG", '{"task": "chief"}', "give an object such as"),
]


@pytest.mark.parametrize(("name", "value", "phrase"), VARIABLES, ids=[f"{n}={v}" for n, v, _ in VARIABLES])
@pytest.mark.parametrize("command", [("sample", "out.png"), ()], ids=["sample", "studio"])
def test_a_bad_variable_is_one_line_naming_it(
    name: str, value: str, phrase: str, command: tuple[str, ...], scratch: Path, artgen, monkeypatch
) -> None:
    monkeypatch.setenv(name, value.replace("{file}", str(scratch / "notes.txt")))
    before = hashes(scratch)
    line = _refused_untouched(scratch, artgen(*command), f"environment variable {name}: ", phrase)
    assert "usage:" not in line
    unchanged(before)
    assert sorted(p.name for p in scratch.iterdir()) == ["existing.png", "notes.txt"]


def test_every_variable_artgen_reads_has_a_bad_case() -> None:
    assert {name for name, _, _ in VARIABLES} == set(environment.PARSERS)


# Variables read as free text, handed on to their own library: no value is wrong for artgen.
FREE_TEXT = {"XLA_FLAGS", "TEXTUAL_DRIVER"}
READ = re.compile(  # os.environ.get("X"), os.getenv("X"), os.environ["X"] (not assigned), "X" in os.environ
    r"""(?:environ\.get|getenv)\(\s*["'](\w+)["']|environ\[\s*["'](\w+)["']\s*\](?!\s*=[^=])"""
    r"""|["'](\w+)["']\s+(?:not\s+)?in\s+os\.environ\b(?!\.)"""
)


def test_variables_are_read_only_through_their_parser() -> None:
    """A new variable read straight from os.environ would skip its check; it must have a parser."""
    found = set()
    for path in (REPO / "artgen").rglob("*.py"):
        if path.name != "environment.py":
            found |= {"".join(names) for names in READ.findall(path.read_text(encoding="utf-8"))}
    assert found <= FREE_TEXT, f"read without a parser in artgen.environment: {found - FREE_TEXT}"


def test_an_option_overrides_its_bad_variable(scratch: Path, artgen, monkeypatch) -> None:
    """--max-pixels stands in for $ARTGEN_MAX_PIXELS, --backend for $KERAS_BACKEND: the option counts."""
    monkeypatch.setenv("ARTGEN_MAX_PIXELS", "lots")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    refused(artgen("--backend", "tensorflow", "train", "missing", "--max-pixels", "2e6"), 2, "does not exist")


# -- the Keras backend: named, installed, checked before Keras is imported --------------------------


@pytest.fixture
def without_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    """This environment as if JAX were not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a)
    )


def test_backend_jax_without_jax_says_how_to_install_it(scratch: Path, artgen, without_jax) -> None:
    before = hashes(scratch)
    line = _refused_untouched(scratch, artgen("--backend", "jax", "sample", "out.png"), "--backend: ")
    assert "needs jax, which is not installed: pip install 'artgen[jax]'" in line
    unchanged(before)


def test_keras_backend_jax_without_jax_says_how_to_install_it(
    scratch: Path, artgen, without_jax, monkeypatch
) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    before = hashes(scratch)
    _refused_untouched(
        scratch,
        artgen("sample", "out.png"),
        "environment variable KERAS_BACKEND",
        "pip install 'artgen[jax]'",
    )
    unchanged(before)


# -- a model of the wrong kind: refused right after loading, with its shapes -----------------------


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Models that load (safe_mode) but are not what the command needs, each with a class-names file."""
    import keras

    from artgen.generators.locate import DEFAULT_GENERATOR

    folder = tmp_path_factory.mktemp("models")
    image = keras.Input((16, 16, 3))
    built = {
        "image2image": keras.Model(image, keras.layers.Conv2D(3, 3, padding="same")(image)),
        "classifier": keras.Model(
            image, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(image))
        ),
    }
    latent = keras.Input((8,))
    built["vector"] = keras.Model(latent, keras.layers.Dense(8)(latent))
    paths = {}
    for name, model in built.items():
        model.save(folder / f"{name}.keras")
        paths[name] = folder / f"{name}.keras"
    shutil.copy(DEFAULT_GENERATOR, folder / "generator.keras")
    paths["generator"] = folder / "generator.keras"
    for path in paths.values():
        path.with_suffix(".classes.json").write_text('{"classes": ["a", "b", "c"], "size": 16}')
    return paths


MODEL_CASES = {
    "sample-image2image": (["sample", "--model", "{image2image}", "out.png"], "not an artgen generator"),
    "sample-classifier": (["sample", "--model", "{classifier}", "out.png"], "not an artgen generator"),
    "sample-vector": (["sample", "--model", "{vector}", "out.png"], "not an artgen generator"),
    "walk-image2image": (
        ["walk", "--model", "{image2image}", "--frames", "4", "w.gif"],
        "not an artgen generator",
    ),
    "predict-generator": (["classify", "predict", "{generator}", "existing.png"], "not an artgen classifier"),
    "predict-image2image": (
        ["classify", "predict", "{image2image}", "existing.png"],
        "not an artgen classifier",
    ),
}
EXPECTED = {  # what each role expects and what each model has, as the line says them
    "generator": "expects a latent vector in and a square RGB image out, (None, N) -> (None, S, S, 3)",
    "classifier": "expects a 16x16 RGB image in and 3 class scores out, (None, 16, 16, 3) -> (None, 3)",
    "image2image": "got (None, 16, 16, 3) -> (None, 16, 16, 3)",
}


@pytest.mark.parametrize("case", MODEL_CASES, ids=list(MODEL_CASES))
def test_a_model_of_another_kind_is_refused_with_its_shapes(
    case: str, models: dict[str, Path], scratch: Path, artgen
) -> None:
    argv, phrase = MODEL_CASES[case]
    before = hashes(scratch, *models.values())
    line = _refused_untouched(scratch, artgen(*[arg.format(**models) for arg in argv]), phrase)
    role = "generator" if "generator" in phrase else "classifier"
    assert EXPECTED[role] in line and "; got (None, " in line
    if "image2image" in case:
        assert EXPECTED["image2image"] in line
    unchanged(before)
    assert sorted(p.name for p in scratch.iterdir()) == ["existing.png", "notes.txt"]


# -- the studio without a terminal -------------------------------------------------------------------


@pytest.mark.parametrize("argv", [(), ("--cluster", "auto")], ids=["studio", "studio-on-a-cluster"])
def test_the_studio_without_a_terminal_is_one_line_not_a_screen_drawn_into_a_pipe(
    argv: tuple[str, ...], tmp_path: Path
) -> None:
    """``artgen </dev/null | cat``: refused at once, before the studio (or Ray) loads."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ARTGEN_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "artgen", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.count("\n") == 1 and "the studio needs a terminal" in done.stderr, done.stderr
    assert "artgen walk" in done.stderr and not list(tmp_path.iterdir())
