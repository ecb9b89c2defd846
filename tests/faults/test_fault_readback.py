"""What artgen wrote and reads back, damaged or edited: one line naming the file, nothing rewritten.

A run's config.json, metrics.csv, quality.json and checkpoints, a model's
sidecar .json, a classifier's class names: each is checked whole before a
resume or a sample trusts it. The dataset cache is the exception, rebuilt
silently. A run killed as it starts is one ``--resume`` continues, or names
the command that starts it again.
"""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from corpus import TINY, Outcome, hashes, refused, spawn, unchanged, wait_for

from artgen import images as image_io
from artgen.dcgan import checkpoint, training

Damage = Callable[[Path], None]


def _metrics(run_dir: Path) -> np.ndarray:
    return np.loadtxt(run_dir / "metrics.csv", delimiter=",", skiprows=1, ndmin=2)


def _settings(change: Callable[[dict], None]) -> Damage:
    def damage(run_dir: Path) -> None:
        settings = json.loads((run_dir / "config.json").read_text())
        change(settings)
        (run_dir / "config.json").write_text(json.dumps(settings, indent=2))

    return damage


def _append(name: str, data: bytes) -> Damage:
    def damage(run_dir: Path) -> None:
        with open(run_dir / name, "ab") as handle:
            handle.write(data)

    return damage


def _write(name: str, data: bytes) -> Damage:
    return lambda run_dir: (run_dir / name).write_bytes(data)


def _every_checkpoint(change: Callable[[dict[str, np.ndarray]], None]) -> Damage:
    """Edit each checkpoint as a user with NumPy would, digest and all: only its fields' types are wrong."""

    def damage(run_dir: Path) -> None:
        for path in (run_dir / "checkpoints").glob("step-*.npz"):
            arrays = dict(np.load(path, allow_pickle=False))
            change(arrays)
            arrays[checkpoint.DIGEST] = np.asarray(checkpoint._digest(arrays))
            with open(path, "wb") as handle:
                np.savez(handle, **arrays)

    return damage


def _first_weight_as_text(arrays: dict[str, np.ndarray]) -> None:
    arrays["generator/0000"] = arrays["generator/0000"].astype(str)


RESUME = ("train", "--resume", "RUN", "--steps", "6")
SAMPLE = ("sample", "--model", "RUN", "-n", "4", "OUT")

CONFIG_DAMAGE = [
    pytest.param(_write("config.json", b"[]\n"), ("must hold an object, not []",), id="a-list"),
    pytest.param(_settings(lambda s: s.pop("width")), ("lacks the setting width",), id="lacks-a-key"),
    pytest.param(
        _settings(lambda s: s.update(learning_rate="abc")),
        ('learning_rate must be a number, not "abc"',),
        id="text-for-a-number",
    ),
    pytest.param(
        _settings(lambda s: s.update(latent_dim="8")),
        ('latent_dim must be a whole number, not "8"',),
        id="text-for-a-whole-number",
    ),
    pytest.param(
        _settings(lambda s: s.update(width=0)),
        ("width must be between 1 and 1024, not 0",),
        id="out-of-bounds",
    ),
    pytest.param(
        _settings(lambda s: s.update(augment=[5])), ("augment item 1 must be text, not 5",), id="a-list-item"
    ),
    pytest.param(
        _settings(lambda s: s.update(ema="yes")), ("ema must be true or false",), id="text-for-a-bool"
    ),
    pytest.param(
        lambda run: (run / "config.json").write_bytes((run / "config.json").read_bytes()[:100]),
        ("is not valid JSON",),
        id="cut-short",
    ),
    pytest.param(_append("config.json", b"\xff\xfe"), ("is not UTF-8 text",), id="not-utf8"),
]

METRICS_DAMAGE = [
    pytest.param(
        _append("metrics.csv", b"6,abc,1,1,1,1,nan,nan\n"), ("line 3 has 'abc' for d_loss",), id="garbage-row"
    ),
    pytest.param(_append("metrics.csv", b"6,\xff\xfe,1\n"), ("is not UTF-8 text",), id="not-utf8"),
    pytest.param(_append("metrics.csv", b"6,1.5\n"), ("line 3 has 2 values, not 8",), id="short-row"),
    pytest.param(
        _append("metrics.csv", b"2.5,1,1,1,1,1,nan,nan\n"), ("line 3 has '2.5' for step",), id="half-a-step"
    ),
    pytest.param(_write("metrics.csv", b"\x00\x01garbage\n4,1\n"), ("not a header",), id="no-header"),
    pytest.param(
        _write("metrics.csv", b"step,loss\n4,1\n"), ("its columns are not step,d_loss",), id="columns"
    ),
]

QUALITY_DAMAGE = [
    pytest.param(_write("quality.json", b"[]"), ("must hold an object",), id="a-list"),
    pytest.param(_write("quality.json", b'{"best_fd": 3.0}'), ("lacks best_step",), id="lacks-keys"),
    pytest.param(
        _write(
            "quality.json",
            b'{"best_fd": "low", "best_step": 2, "recent": [], "peak_diversity": 0.5, "rollbacks": 0, '
            b'"eval_seconds": null}',
        ),
        ('best_fd must be a number, not "low"',),
        id="text-for-a-number",
    ),
]

CHECKPOINT_DAMAGE = [
    pytest.param(
        _every_checkpoint(lambda a: a.update(step=np.asarray("four"))),
        "its step is not a whole number",
        id="step-as-text",
    ),
    pytest.param(
        _every_checkpoint(lambda a: a.update(step=np.asarray([2, 4]))),
        "its step is not a whole number",
        id="step-as-a-list",
    ),
    pytest.param(
        _every_checkpoint(_first_weight_as_text), "its generator/0000 holds <U", id="weights-as-text"
    ),
    pytest.param(
        _every_checkpoint(lambda a: a.update(config=np.asarray(7))),
        "its config is not text",
        id="config-a-number",
    ),
    pytest.param(
        _every_checkpoint(lambda a: a.update(config=np.asarray("[1, 2]"))),
        "its config is not the run's settings",
        id="config-a-list",
    ),
    pytest.param(
        _every_checkpoint(lambda a: a.update(extra=np.zeros(3))),
        "it holds 'extra', which artgen does not write",
        id="unknown-array",
    ),
]


def _command(argv: tuple[str, ...], run_dir: Path, out: Path) -> list[str]:
    return [str(run_dir) if arg == "RUN" else str(out) if arg == "OUT" else arg for arg in argv]


def _refused_unchanged(artgen, run_dir: Path, argv: list[str], damaged: Path, *phrases: str) -> str:
    """The promise for a damaged file: status 2, one line naming it, every file as it was, nothing left."""
    before = hashes(run_dir)
    outcome: Outcome = artgen(*argv)
    line = refused(outcome, 2, *phrases, alone=False)
    assert str(damaged) in line, line
    unchanged(before)
    assert not list(run_dir.rglob(".artgen-tmp-*")) and not (run_dir / ".artgen-lock").exists()
    return line


@pytest.fixture
def stopped_run(run_copy: Path) -> Path:
    """A run stopped before its end: ``sample`` reads its config.json and newest checkpoint."""
    (run_copy / "generator.keras").unlink()
    return run_copy


@pytest.mark.parametrize("argv", [RESUME, SAMPLE], ids=["resume", "sample"])
@pytest.mark.parametrize(("damage", "phrases"), CONFIG_DAMAGE)
def test_a_damaged_config_json_is_one_line_and_is_not_rewritten(
    artgen, stopped_run: Path, tmp_path: Path, damage: Damage, phrases: tuple[str, ...], argv: tuple[str, ...]
) -> None:
    damage(stopped_run)
    out = tmp_path / "grid.png"
    _refused_unchanged(
        artgen, stopped_run, _command(argv, stopped_run, out), stopped_run / "config.json", *phrases
    )
    assert not out.exists()


@pytest.mark.parametrize(("damage", "phrases"), METRICS_DAMAGE)
def test_a_damaged_metrics_csv_is_one_line_before_anything_is_written(
    artgen, run_copy: Path, tmp_path: Path, damage: Damage, phrases: tuple[str, ...]
) -> None:
    damage(run_copy)
    _refused_unchanged(
        artgen, run_copy, _command(RESUME, run_copy, tmp_path), run_copy / "metrics.csv", *phrases
    )


@pytest.mark.parametrize(("damage", "phrases"), QUALITY_DAMAGE)
def test_a_damaged_quality_json_is_one_line_before_anything_is_written(
    artgen, run_copy: Path, tmp_path: Path, damage: Damage, phrases: tuple[str, ...]
) -> None:
    damage(run_copy)
    _refused_unchanged(
        artgen, run_copy, _command(RESUME, run_copy, tmp_path), run_copy / "quality.json", *phrases
    )


@pytest.mark.parametrize("argv", [RESUME, SAMPLE], ids=["resume", "sample"])
@pytest.mark.parametrize(("damage", "reason"), CHECKPOINT_DAMAGE)
@pytest.mark.slow
def test_checkpoints_with_fields_of_the_wrong_type_are_named_not_trusted(
    artgen, stopped_run: Path, tmp_path: Path, damage: Damage, reason: str, argv: tuple[str, ...]
) -> None:
    damage(stopped_run)
    line = _refused_unchanged(
        artgen,
        stopped_run,
        _command(argv, stopped_run, tmp_path / "g.png"),
        stopped_run,
        "no readable checkpoint",
    )
    assert f"step-00000004.npz ({reason}" in line and f"step-00000002.npz ({reason}" in line, line


@pytest.mark.slow
def test_a_checkpoint_with_a_field_of_the_wrong_type_is_skipped_for_the_one_before(
    artgen, run_copy: Path
) -> None:
    newest = run_copy / "checkpoints" / "step-00000004.npz"
    arrays = dict(np.load(newest, allow_pickle=False))
    arrays["step"] = np.asarray("four")
    arrays[checkpoint.DIGEST] = np.asarray(checkpoint._digest(arrays))
    np.savez(newest, **arrays)
    outcome = artgen("train", "--resume", run_copy, "--steps", "6")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    err = " ".join(outcome.err.split())
    assert "skipped checkpoint step-00000004.npz (its step is not a whole number)" in err, err
    assert "from step 2" in err and _metrics(run_copy)[-1, 0] == 6


@pytest.mark.parametrize(
    ("argv", "variable"),
    [(RESUME, "generator/0000"), (SAMPLE, "ema_generator/0000")],
    ids=["resume", "sample"],
)
def test_checkpoints_that_no_longer_fit_config_json_name_the_checkpoint_and_the_variable(
    artgen, stopped_run: Path, tmp_path: Path, argv: tuple[str, ...], variable: str
) -> None:
    _settings(lambda s: s.update(latent_dim=12))(stopped_run)
    newest = stopped_run / "checkpoints" / "step-00000004.npz"
    line = _refused_unchanged(
        artgen,
        stopped_run,
        _command(argv, stopped_run, tmp_path / "g.png"),
        newest,
        "does not fit the model config.json describes",
        "has shape (8, 512) there and (12, 512) in the model",
        "latent_dim 8 (now 12)",
    )
    assert f": {variable} (" in line, line  # with its layer's name, which depends on what else was built


# -- sidecar files of models ----------------------------------------------------------------------


def test_a_damaged_model_sidecar_json_is_one_line(artgen, trained_run: Path, tmp_path: Path) -> None:
    model = tmp_path / "gen.keras"
    model.write_bytes((trained_run / "generator.keras").read_bytes())
    sidecar = tmp_path / "gen.json"
    sidecar.write_text('["made", "by", "hand"]')
    before = hashes(tmp_path)
    line = refused(artgen("sample", "--info", "--model", model), 2, "must hold an object")
    assert str(sidecar) in line
    unchanged(before)


@pytest.mark.parametrize(
    ("names", "phrase"),
    [
        pytest.param(
            b'{"classes": "rock", "size": 32}', 'classes must be a list, not "rock"', id="text-for-a-list"
        ),
        pytest.param(b'{"classes": ["a", "b"], "size": -3}', "size must be between", id="bad-size"),
        pytest.param(b'{"classes": [], "size": 32}', "one or more distinct names", id="no-classes"),
        pytest.param(b'{"size": 32}', "lacks classes", id="lacks-classes"),
        pytest.param(b"\xff{}", "is not UTF-8 text", id="not-utf8"),
    ],
)
def test_damaged_class_names_beside_a_classifier_are_one_line(
    artgen, tmp_path: Path, shapes_dir: Path, names: bytes, phrase: str
) -> None:
    model = tmp_path / "rps.keras"
    model.write_bytes(b"never opened: the class names are checked first")
    (tmp_path / "rps.classes.json").write_bytes(names)
    before = hashes(tmp_path)
    line = refused(artgen("classify", "predict", model, next(shapes_dir.iterdir())), 2, phrase)
    assert str(tmp_path / "rps.classes.json") in line
    unchanged(before)


# -- the dataset cache: rebuilt, silently -------------------------------------------------------------


def _wrong_shape(cache: Path) -> None:
    np.save(next(cache.glob("*.npy")), np.zeros((3, 32, 32, 3), np.uint8))


def _wrong_dtype(cache: Path) -> None:
    np.save(next(cache.glob("*.npy")), np.zeros((24, 32, 32, 3), np.float32))


def _list_report(cache: Path) -> None:
    next(cache.glob("*.json")).write_text("[]\n")


def _report_miscounts(cache: Path) -> None:
    next(cache.glob("*.json")).write_text('{"found": 3, "skipped": []}\n')


@pytest.mark.parametrize("damage", [_list_report, _report_miscounts, _wrong_shape, _wrong_dtype])
@pytest.mark.slow
def test_a_damaged_dataset_cache_is_rebuilt_silently_and_trains(
    artgen, shapes_dir: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    decoded = image_io.load_folder(shapes_dir, 32)
    assert not decoded.from_cache and image_io.load_folder(shapes_dir, 32).from_cache
    damage(image_io.cache_dir())
    outcome = artgen("train", shapes_dir, *TINY, "--steps", "1", "--run-dir", tmp_path / "run")
    assert outcome.status == 0 and "Traceback" not in outcome.err, outcome.err
    assert f"24 images at 32px from {shapes_dir} (disk)" in outcome.err, outcome.err
    assert "warning" not in outcome.err and "error" not in outcome.err
    again = image_io.load_folder(shapes_dir, 32)  # rebuilt whole
    assert again.from_cache and np.array_equal(again.images, decoded.images)


# -- a run killed as it starts ------------------------------------------------------------------------


def _dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


@pytest.mark.slow
def test_a_run_stopped_before_its_settings_were_written_names_the_command_that_starts_it(
    artgen, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two states before config.json: the folder just made, then with the lock a kill -9 leaves."""
    monkeypatch.chdir(tmp_path)
    made = tmp_path / "made"
    made.mkdir()  # what runs.open_run's output_dir leaves
    line = refused(artgen("train", "--resume", made), 2, "is not an artgen training run")
    assert line.endswith(f"start one there with: artgen train DIR --run-dir {made}"), line
    assert not list(made.iterdir())

    locked = tmp_path / "locked"
    locked.mkdir()
    started = f"artgen train {shapes_dir} {' '.join(TINY)} --steps 2 --run-dir locked"
    holder = {"pid": _dead_pid(), "host": socket.gethostname(), "since": "now", "command": started}
    (locked / ".artgen-lock").write_text(json.dumps(holder))
    line = refused(artgen("train", "--resume", locked), 2, "has no steps yet")
    assert line.endswith(f"start it again with: {started}"), line
    outcome = artgen(*shlex.split(line.split("start it again with: ")[1])[1:])
    assert outcome.status == 0, outcome.err
    assert _metrics(locked)[-1, 0] == 2 and not (locked / ".artgen-lock").exists()


@pytest.mark.slow
def test_a_run_stopped_as_its_engine_starts_resumes_from_step_0(
    artgen, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped where the slow part begins (the run folder held, nothing built yet): config.json is there."""
    run_dir = tmp_path / "run"

    def killed(*args: object) -> None:
        holder = {"pid": _dead_pid(), "host": socket.gethostname(), "command": "artgen"}
        (run_dir / ".artgen-lock").write_text(json.dumps(holder))
        raise KeyboardInterrupt  # as far as the folder is concerned, kill -9 here is the same

    with monkeypatch.context() as patch:
        patch.setattr(training, "_train", killed)
        assert artgen("train", shapes_dir, *TINY, "--steps", "4", "--run-dir", run_dir).status == 130
    assert sorted(path.name for path in run_dir.iterdir()) == [".artgen-lock", "config.json"]
    outcome = artgen("train", "--resume", run_dir, "--steps", "2")
    assert outcome.status == 0, outcome.err
    assert _metrics(run_dir)[-1, 0] == 2 and not (run_dir / ".artgen-lock").exists()


@pytest.mark.slow
def test_kill_9_as_a_run_starts_leaves_a_run_resume_continues_or_restarts(
    artgen, shapes_dir: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    process = spawn("train", shapes_dir, *TINY, "--steps", "100000", "--run-dir", run_dir)
    try:
        wait_for(run_dir.exists, process, timeout=180)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        process.kill()
    outcome = artgen("train", "--resume", run_dir, "--steps", "2")
    if outcome.status != 0:  # killed before config.json: the line says how to start it again
        line = refused(outcome, 2, " with: artgen train ", f"--run-dir {run_dir}")
        argv = [str(shapes_dir) if arg == "DIR" else arg for arg in shlex.split(line.split(" with: ")[1])[1:]]
        outcome = artgen(*argv, *TINY, "--steps", "2")
    assert outcome.status == 0, outcome.err
    assert _metrics(run_dir)[-1, 0] == 2 and not list(run_dir.rglob(".artgen-tmp-*"))


def test_vgg_weights_that_do_not_fit_their_layer_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from artgen import vgg
    from artgen.errors import ModelError

    weights = vgg.vgg16_weights()
    weights["block1_conv2.kernel"] = weights["block1_conv2.kernel"][..., :5]
    monkeypatch.setattr(vgg, "vgg16_weights", lambda: weights)
    with pytest.raises(
        ModelError, match="vgg16_conv.npz do not fit its layer block1_conv2; reinstall artgen"
    ):
        vgg.build_features.__wrapped__("vgg16", ("block1_conv2",))
