"""The classifier's transfer learning, safe defaults and old model files (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_classify import make_classes

from artgen.errors import InputError
from artgen.labs.classify import ClassifyConfig
from artgen.labs.classify.config import PRESETS
from artgen.labs.classify.data import load_classes, native_size, stratified_split
from artgen.labs.classify.report import most_confused

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_classes(tmp_path_factory.mktemp("transfer") / "shapes", per_class=16)


def _mirror_test_image(size: int = 32) -> np.ndarray:
    """Bright on the left, dark on the right: any mirror image puts the bright side right."""
    image = np.full((size, size, 3), 20, dtype=np.uint8)
    image[:, : size // 2] = 235
    return image


def _augmented(config: ClassifyConfig, copies: int = 48) -> np.ndarray:
    import keras

    from artgen.labs.classify.model import augmentation

    batch = np.repeat(_mirror_test_image()[None].astype(np.float32), copies, axis=0)
    x = batch
    for layer in augmentation(config):
        x = layer(x, training=True)
    return keras.ops.convert_to_numpy(x)


def test_default_augmentation_never_mirrors_an_image() -> None:
    from artgen.labs.classify.model import augmentation

    defaults = ClassifyConfig(data_dir="anywhere")
    assert defaults.flip == "none"
    assert not any("flip" in type(layer).__name__.lower() for layer in augmentation(defaults))
    out = _augmented(defaults)
    left, right = out[:, :, :16].mean(axis=(1, 2, 3)), out[:, :, 16:].mean(axis=(1, 2, 3))
    assert np.all(left > right + 100), "a default augmentation mirrored the image"
    # the same check catches flips: the rps preset mirrors about half of the copies
    flipped = _augmented(
        ClassifyConfig(data_dir="anywhere", preset="rps", rotation=0, shift=0, shear=0, zoom=0)
    )
    mirrored = flipped[:, :, :16].mean(axis=(1, 2, 3)) < flipped[:, :, 16:].mean(axis=(1, 2, 3))
    assert 0 < mirrored.sum() < len(mirrored)


def test_rps_preset_is_the_seeds_recipe_and_typed_flags_win() -> None:
    rps = ClassifyConfig(data_dir="rps", preset="rps")
    assert (rps.size, rps.val_split, rps.flip, rps.augment) == (150, 0.4, "horizontal", True)
    assert rps.rotation == pytest.approx(20 / 360) and rps.shift == rps.shear == rps.zoom == 0.2
    mine = ClassifyConfig(data_dir="rps", preset="rps", val_split=0.3)  # as a form sends it
    assert (mine.val_split, mine.flip, mine.size) == (0.3, "horizontal", 150)
    assert ClassifyConfig.from_dict(rps.to_dict()) == rps
    assert set(PRESETS) == {"rps"}
    with pytest.raises(Exception, match="--preset must be one of rps"):
        ClassifyConfig(data_dir="rps", preset="mnist")


def test_cli_preset_fills_only_the_flags_not_typed() -> None:
    import argparse

    from artgen.cli.classify import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["train", "rps", "--preset", "rps", "--flip", "none", "--size", "64"])
    config = config_from_args(args)
    assert (config.flip, config.size, config.val_split, config.shear) == ("none", 64, 0.4, 0.2)
    plain = config_from_args(parser.parse_args(["train", "digits"]))
    assert (plain.flip, plain.size, plain.base, plain.augment) == ("none", None, "auto", None)


def test_size_defaults_to_the_images_own_size_up_to_150(tmp_path: Path) -> None:
    for side, folder in ((20, "small"), (300, "large")):
        for name in ("a", "b"):
            (tmp_path / folder / name).mkdir(parents=True)
            for index in range(3):
                Image.new("RGB", (side, side + 10)).save(tmp_path / folder / name / f"{index}.png")
    assert native_size(tmp_path / "small", 150) == 20
    assert native_size(tmp_path / "large", 150) == 150
    with pytest.raises(InputError, match="does not exist"):  # said before anything about the run
        native_size(tmp_path / "missing", 150)


@pytest.mark.slow
def test_a_run_without_size_trains_at_the_images_own_size_and_records_it(
    shapes: Path, tmp_path: Path
) -> None:
    from artgen.labs.classify import load_classifier, train_classifier

    config = ClassifyConfig.tiny(str(shapes), size=None, base="auto", augment=None, epochs=1)
    result = train_classifier(
        ClassifyConfig.from_dict({**config.to_dict(), "run_dir": str(tmp_path / "run")})
    )
    assert (result.size, result.base) == (32, "none")  # 32 px shapes: no upscaling, below VGG16's threshold
    stored = json.loads((result.run_dir / "config.json").read_text())
    assert (stored["size"], stored["base"], stored["augment"]) == (32, "none", True)
    assert load_classifier(result.model_path).size == 32


def test_auto_base_picks_transfer_only_for_images_large_enough() -> None:
    from artgen.labs.classify.model import resolve_base

    assert resolve_base("auto", 28) == "none" and resolve_base("auto", 63) == "none"
    assert resolve_base("auto", 64) == "vgg16" and resolve_base("auto", 150) == "vgg16"
    assert resolve_base("none", 150) == "none" and resolve_base("vgg16", 32) == "vgg16"


def test_most_confused_pairs_are_the_largest_off_diagonal_counts() -> None:
    matrix = np.array([[8, 2, 0], [5, 5, 0], [0, 1, 9]])
    pairs = most_confused(matrix, ["cat", "dog", "fox"])
    assert [(p.true, p.predicted, p.count) for p in pairs] == [
        ("dog", "cat", 5),
        ("cat", "dog", 2),
        ("fox", "dog", 1),
    ]
    assert pairs[0].share == pytest.approx(0.5)
    assert most_confused(np.eye(3, dtype=int) * 4, ["a", "b", "c"]) == []


@pytest.mark.slow
def test_vgg16_head_trains_from_cached_features_that_match_the_full_model(
    shapes: Path, tmp_path: Path
) -> None:
    """Frozen base, no augmentation: features once, cached, reused; the saved model predicts the same."""
    import keras

    from artgen.labs.classify import load_classifier, predict, train_classifier
    from artgen.labs.classify.features import features_path
    from artgen.labs.classify.model import head_on_features

    config = ClassifyConfig.tiny(str(shapes), base="vgg16", size=32, epochs=8, learning_rate=1e-2)
    first = train_classifier(ClassifyConfig.from_dict({**config.to_dict(), "run_dir": str(tmp_path / "a")}))
    assert first.features == "computed" and first.base == "vgg16"
    assert first.val_accuracy >= 0.8  # chance is 1/3
    again = train_classifier(ClassifyConfig.from_dict({**config.to_dict(), "run_dir": str(tmp_path / "b")}))
    assert again.features == "cache"
    assert json.loads(again.report_path.read_text())["features"] == "cache"

    classifier = load_classifier(first.model_path)  # safe_mode=True, as users load it
    assert not any("random" in layer.name for layer in classifier.model.layers)
    data = load_classes(shapes, 32)
    cached = np.load(features_path(data.images))
    from_images = keras.ops.convert_to_numpy(classifier.model.predict(data.images, verbose=0))
    from_features = keras.ops.convert_to_numpy(head_on_features(classifier.model).predict(cached, verbose=0))
    np.testing.assert_allclose(from_images, from_features, atol=1e-4)
    # the report's validation accuracy (scored on cached features) is what the file gives on images
    _, val = stratified_split(data.labels, config.val_split, config.seed)
    assert np.mean(from_images[val].argmax(axis=1) == data.labels[val]) == pytest.approx(first.val_accuracy)
    top = predict(classifier, [sorted((shapes / "disc").glob("*.png"))[0]])[0].top
    assert len(top) == 3 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)


@pytest.mark.slow
def test_augmented_vgg16_runs_the_base_on_the_fly_and_fine_tunes_its_last_block(
    shapes: Path, tmp_path: Path
) -> None:
    from artgen.labs.classify import load_classifier, train_classifier
    from artgen.vgg import vgg16_weights

    result = train_classifier(
        ClassifyConfig.tiny(
            str(shapes),
            base="vgg16",
            size=32,
            epochs=2,
            augment=True,
            fine_tune=True,
            fine_tune_epochs=1,
            run_dir=str(tmp_path / "run"),
        )
    )
    assert result.features == "on the fly" and result.epochs == 3
    base = load_classifier(result.model_path).model.get_layer("vgg16")
    bundled = vgg16_weights()
    assert np.array_equal(base.get_layer("block4_conv3").get_weights()[0], bundled["block4_conv3.kernel"])
    assert not np.allclose(base.get_layer("block5_conv3").get_weights()[0], bundled["block5_conv3.kernel"])


def test_model_files_from_before_transfer_learning_still_load_and_predict(tmp_path: Path) -> None:
    from artgen.labs.classify import load_classifier, predict

    classifier = load_classifier(DATA / "classify-v1.keras")
    assert classifier.classes == ["blue", "green", "red"] and classifier.size == 16
    paths = []
    for name, colour in (("red", (220, 30, 40)), ("green", (40, 200, 50)), ("blue", (30, 40, 220))):
        paths.append(tmp_path / f"{name}.png")
        Image.new("RGB", (40, 40), colour).save(paths[-1])
    predictions = predict(classifier, paths)
    assert [p.label for p in predictions] == ["red", "green", "blue"]
    assert all(len(p.top) == 3 and p.top[0] == (p.label, p.probability) for p in predictions)


def test_cli_predict_shows_the_runners_up(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from artgen.cli import main

    image = tmp_path / "red.png"
    Image.new("RGB", (16, 16), (220, 30, 40)).save(image)
    assert main(["classify", "predict", str(DATA / "classify-v1.keras"), str(image)]) == 0
    out = capsys.readouterr().out
    assert "red" in out and "runners-up" in out and "green" in out and "blue" in out
