"""The image classifier lab: split, training, report files, predict, and clear errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from artgen.errors import InputError, ModelError
from artgen.events import Metrics, Preview, Progress
from artgen.labs.classify import ClassifyConfig
from artgen.labs.classify.data import load_classes, stratified_split
from artgen.labs.classify.report import class_scores, confusion_matrix

SHAPES = ("disc", "square", "triangle")
COLOURS = {"disc": (220, 40, 40), "square": (40, 40, 220), "triangle": (40, 190, 40)}


def draw_shape(kind: str, rng: np.random.Generator, size: int = 32) -> Image.Image:
    """A coloured shape at a random place on grey noise: easy to tell apart, not identical twice."""
    image = Image.fromarray(rng.integers(90, 160, (size, size, 3), dtype=np.uint8))
    x, y = (int(v) for v in rng.integers(2, size // 2 - 2, 2))
    side = int(rng.integers(size // 3, size // 2))
    draw = ImageDraw.Draw(image)
    if kind == "disc":
        draw.ellipse([x, y, x + side, y + side], fill=COLOURS[kind])
    elif kind == "square":
        draw.rectangle([x, y, x + side, y + side], fill=COLOURS[kind])
    else:
        draw.polygon([(x, y + side), (x + side, y + side), (x + side // 2, y)], fill=COLOURS[kind])
    return image


def make_classes(root: Path, per_class: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for kind in SHAPES:
        (root / kind).mkdir(parents=True)
        for index in range(per_class):
            draw_shape(kind, rng).save(root / kind / f"{index:03d}.png")
    return root


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_classes(tmp_path_factory.mktemp("shapes") / "data")
    (root / "disc" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (root / "notes").mkdir()  # a folder without images is left out, not a class
    return root


@pytest.fixture(scope="module")
def trained(shapes: Path, tmp_path_factory: pytest.TempPathFactory):
    from artgen.labs.classify import train_classifier

    events: list = []
    config = ClassifyConfig.tiny(
        str(shapes),
        run_dir=str(tmp_path_factory.mktemp("runs") / "run"),
        epochs=8,
        val_split=0.4,
        augment=True,
        rotation=0.02,
        shift=0.05,
        shear=0.05,
        zoom=0.05,
    )
    return train_classifier(config, events.append), events


@pytest.mark.slow
def test_tiny_dataset_trains_well_above_chance(trained) -> None:
    result, events = trained
    assert result.classes == SHAPES
    assert result.val_accuracy >= 0.85  # chance is 1/3
    assert result.train_count + result.val_count == 72 and result.val_count == round(72 * 0.4)
    assert result.skipped == 1
    assert sum(sum(row) for row in result.confusion) == result.val_count
    assert sorted(score.support for score in result.scores) == [9, 10, 10]  # 40% of 24 each, 29 in all
    report = json.loads(result.report_path.read_text())
    assert report["val_accuracy"] == pytest.approx(result.val_accuracy)
    with open(result.metrics_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == result.epochs and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    for png in (result.curves_png, result.confusion_png):
        assert Image.open(png).format == "PNG"
    assert json.loads(result.model_path.with_suffix(".classes.json").read_text())["classes"] == list(SHAPES)

    epochs = [event for event in events if isinstance(event, Metrics)]
    assert len(epochs) == result.epochs and "val_accuracy" in epochs[-1].values
    assert any(isinstance(event, Progress) and event.unit == "batch" for event in events)
    previews = {Path(event.path).name for event in events if isinstance(event, Preview)}
    assert previews == {"curves.png", "confusion.png"}


@pytest.mark.slow
def test_predict_returns_the_right_class_for_clear_examples(trained, tmp_path: Path) -> None:
    from artgen.labs.classify import predict

    result, _ = trained
    rng = np.random.default_rng(123)  # images the model never saw
    paths = []
    for kind in SHAPES:
        for index in range(3):
            path = tmp_path / f"{kind}-{index}.png"
            draw_shape(kind, rng).resize((64, 64)).save(path)  # another size: predict resizes
            paths.append(path)
    predictions = predict(result.model_path, paths)
    assert [p.label for p in predictions] == [kind for kind in SHAPES for _ in range(3)]
    assert all(p.probability == max(p.probabilities.values()) for p in predictions)
    assert [p.label for p in predict(result.run_dir, paths[:1])] == ["disc"]  # a run directory works too


def test_saved_model_loads_safely_without_augmentation_layers(trained) -> None:
    from artgen.labs.classify import load_classifier

    classifier = load_classifier(trained[0].model_path)
    assert not any("random" in layer.name for layer in classifier.model.layers)
    assert classifier.classes == list(SHAPES) and classifier.size == 16


def test_split_is_stratified_seeded_and_of_the_requested_size() -> None:
    labels = np.repeat([0, 1, 2], [50, 30, 7])
    train, val = stratified_split(labels, 0.4, seed=3)
    assert len(val) == round(len(labels) * 0.4) and len(train) + len(val) == len(labels)
    assert not set(train) & set(val)
    assert np.bincount(labels[val]).tolist() == [20, 12, 3]  # 40% of each class, rounding balanced
    again_train, again_val = stratified_split(labels, 0.4, seed=3)
    assert np.array_equal(val, again_val) and np.array_equal(train, again_train)
    assert not np.array_equal(np.sort(stratified_split(labels, 0.4, seed=4)[1]), np.sort(val))
    tiny_train, tiny_val = stratified_split(np.array([0, 0, 1, 1, 1, 1]), 0.1, seed=0)
    assert set(np.array([0, 0, 1, 1, 1, 1])[tiny_train]) == {0, 1}


def test_fewer_than_two_classes_is_a_clear_error(shapes: Path, tmp_path: Path) -> None:
    one = tmp_path / "one"
    (one / "cats").mkdir(parents=True)
    Image.new("RGB", (20, 20)).save(one / "cats" / "a.png")
    (one / "empty").mkdir()
    with pytest.raises(InputError, match=r"at least two class folders.*found 1 \(cats\)"):
        load_classes(one, 16)
    with pytest.raises(InputError, match="found none"):
        load_classes(shapes / "disc", 16)  # images directly in DIR are not classes
    with pytest.raises(InputError, match="does not exist"):
        load_classes(tmp_path / "missing", 16)


def test_existing_output_is_refused_before_training(shapes: Path, tmp_path: Path) -> None:
    from artgen.labs.classify import train_classifier

    mine = tmp_path / "mine.keras"
    mine.write_text("precious")
    with pytest.raises(InputError, match="exists; pass --overwrite to replace it"):
        train_classifier(ClassifyConfig.tiny(str(shapes), output=str(mine), runs_root=str(tmp_path / "runs")))
    assert mine.read_text() == "precious" and not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_target_accuracy_and_stop_requests_end_training_early(shapes: Path, tmp_path: Path) -> None:
    from artgen.labs.classify import train_classifier

    reached = train_classifier(
        ClassifyConfig.tiny(str(shapes), run_dir=str(tmp_path / "a"), epochs=30, target_accuracy=0.5)
    )
    assert reached.stop_reason == "target accuracy" and reached.epochs < 30
    stopped = train_classifier(
        ClassifyConfig.tiny(str(shapes), run_dir=str(tmp_path / "b"), epochs=30), should_stop=lambda: True
    )
    assert stopped.stopped and stopped.epochs == 1 and stopped.model_path.is_file()


def test_scores_from_a_known_confusion_matrix() -> None:
    matrix = confusion_matrix(np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 1, 1]), 3)
    assert matrix.tolist() == [[2, 1, 0], [0, 2, 0], [0, 1, 0]]
    scores = class_scores(matrix, ["a", "b", "c"])
    assert scores[0].precision == 1.0 and scores[0].recall == pytest.approx(2 / 3)
    assert scores[1].precision == 0.5 and scores[1].recall == 1.0
    assert scores[1].f1 == pytest.approx(2 / 3)
    assert (scores[2].precision, scores[2].recall, scores[2].f1, scores[2].support) == (0.0, 0.0, 0.0, 1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"val_split": 1.0}, "--val-split"),
        ({"size": 8}, "--size"),
        ({"target_accuracy": 0.0}, "--target-accuracy"),
        ({"flip": "sideways"}, "--flip"),
        ({"output": "model.h5"}, ".keras"),
        ({"rotation": 1.5}, "--rotation"),
        ({"limit": 1}, "--limit"),
    ],
)
def test_bad_config_is_one_clear_input_error(overrides: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        ClassifyConfig(data_dir="somewhere", **overrides)


def test_config_round_trips() -> None:
    config = ClassifyConfig(data_dir="rps", size=64, val_split=0.25, flip="both", limit=100)
    assert ClassifyConfig.from_dict(config.to_dict()) == config


def test_cli_predict_errors_are_one_line(trained, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from artgen.cli import main

    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    assert main(["classify", "predict", str(trained[0].model_path), str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"artgen: error: {bad}: not an image"
    assert main(["classify", "predict", str(tmp_path), str(bad)]) == 2
    assert "is not a classifier model" in capsys.readouterr().err
    assert (
        main(
            [
                "classify",
                "predict",
                str(trained[0].model_path),
                str(trained[0].run_dir / "curves.png"),
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)[0]["label"] in SHAPES


def test_missing_class_names_file_is_a_model_error(trained, tmp_path: Path) -> None:
    from artgen.labs.classify import load_classifier

    lonely = tmp_path / "lonely.keras"
    lonely.write_bytes(trained[0].model_path.read_bytes())
    with pytest.raises(ModelError, match="lonely.classes.json is missing"):
        load_classifier(lonely)


def test_cli_help_does_not_load_tensorflow() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from artgen.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['classify', 'train', '--help'])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
