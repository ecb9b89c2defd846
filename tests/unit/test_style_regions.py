"""``--mask``: the style stays in its region, the photo is kept elsewhere, bad masks are one line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from artgen.cli import main
from artgen.errors import InputError
from artgen.style import StyleConfig

WIDTH, HEIGHT = 48, 36  # the photo's own size: the output needs no resizing, so "kept" means equal


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """A grey photo with soft shapes, a blue painting, a red one, and masks splitting left from right."""
    folder = tmp_path_factory.mktemp("regions")
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    photo = 110 + 40 * np.sin(xx / 5)[..., None] * np.cos(yy / 7)[..., None] + np.zeros((1, 1, 3))
    rng = np.random.default_rng(3)
    sy, sx = np.mgrid[0:40, 0:40]
    stripes = ((sx + sy) // 4 % 2)[..., None]
    blue = np.where(stripes == 0, (10, 30, 200), (60, 120, 255)) + rng.normal(0, 20, (40, 40, 3))
    red = np.where(stripes == 0, (220, 20, 20), (255, 200, 40)) + rng.normal(0, 20, (40, 40, 3))
    left = np.zeros((HEIGHT, WIDTH), np.uint8)
    left[:, : WIDTH // 2] = 255
    colors = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    colors[:, : WIDTH // 2] = (255, 0, 0)
    colors[:, WIDTH // 2 :] = (0, 0, 255)
    paths = {name: folder / f"{name}.png" for name in ("photo", "blue", "red", "left", "right", "colors")}
    for name, array in (
        ("photo", photo),
        ("blue", blue),
        ("red", red),
        ("left", left),
        ("right", 255 - left),
        ("colors", colors),
    ):
        Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).save(paths[name])
    (folder / "broken.png").write_bytes(b"not a png")
    paths["broken"] = folder / "broken.png"
    return {name: str(path) for name, path in paths.items()}


def _read(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float32)


FAST = ["--size", str(WIDTH), "--scales", "1", "--iterations", "12", "--style-weight", "100"]
EDGE = 6  # columns either side of the split that the feathered edge may blend


def test_masked_gram_matrix_is_the_gram_matrix_of_the_region():
    from artgen.style.losses import gram_matrix, masked_gram_matrix

    features = np.random.default_rng(0).normal(size=(1, 4, 6, 3)).astype(np.float32)
    full = np.ones((1, 4, 6, 1), np.float32)
    np.testing.assert_allclose(masked_gram_matrix(features, full), gram_matrix(features), rtol=1e-4)
    half = np.zeros((1, 4, 6, 1), np.float32)
    half[:, :, :3] = 1
    expected = gram_matrix(features[:, :, :3])
    np.testing.assert_allclose(masked_gram_matrix(features, half), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_a_mask_keeps_the_photo_outside_it_and_paints_inside(files, tmp_path):
    out = tmp_path / "masked.png"
    assert (
        main(["style", files["photo"], files["blue"], "--mask", files["right"], "-o", str(out), *FAST]) == 0
    )
    picture, photo = _read(out), _read(files["photo"])
    assert picture.shape == photo.shape
    difference = np.abs(picture - photo).mean(axis=2)
    kept, painted = difference[:, : WIDTH // 2 - EDGE], difference[:, WIDTH // 2 + EDGE :]
    assert kept.max() <= 1.0  # the photo itself, but for rounding
    assert painted.mean() > 15  # and the style where the mask is white


@pytest.mark.slow
def test_two_styles_each_paint_their_own_region(files, tmp_path):
    """Blue painting on the left, red on the right: each half takes its own painting's colours."""
    out = tmp_path / "two.png"
    args = [files["photo"], files["blue"], files["red"], "--mask", files["left"], "--mask", files["right"]]
    assert main(["style", *args, "-o", str(out), *FAST]) == 0
    picture = _read(out)
    left, right = picture[:, : WIDTH // 2 - EDGE], picture[:, WIDTH // 2 + EDGE :]
    blueness = lambda part: float(part[..., 2].mean() - part[..., 0].mean())  # noqa: E731
    assert blueness(left) > blueness(right) + 40


def test_one_colour_mask_gives_the_styles_their_regions_in_reading_order(files):
    from artgen.style.regions import RegionMasks

    two_masks = StyleConfig(
        files["photo"], (files["blue"], files["red"]), masks=(files["left"], files["right"])
    )
    colour = StyleConfig(files["photo"], (files["blue"], files["red"]), masks=(files["colors"],))
    named = StyleConfig(
        files["photo"], (files["blue"], files["red"]), masks=(files["colors"],), mask_colors=("blue", "red")
    )
    size = (WIDTH, HEIGHT)
    expected = RegionMasks.load(two_masks, size).weights
    np.testing.assert_allclose(RegionMasks.load(colour, size).weights, expected, atol=1e-5)
    np.testing.assert_allclose(RegionMasks.load(named, size).weights, expected[::-1], atol=1e-5)
    jpeg = files["colors"].replace(".png", ".jpg")
    Image.open(files["colors"]).save(jpeg, quality=60)  # thousands of shades near red and blue
    noisy = RegionMasks.load(StyleConfig(**{**colour.to_dict(), "masks": (jpeg,)}), size).weights
    assert np.mean(np.abs(noisy - expected) > 0.5) < 0.02
    soft = RegionMasks.load(two_masks, size).weights[0]
    assert 0 < soft[0, WIDTH // 2] < 1  # feathered across the edge
    hard = RegionMasks.load(StyleConfig(**{**two_masks.to_dict(), "mask_feather": 0.0}), size).weights[0]
    assert set(np.unique(hard)) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{photo}", "{blue}", "--mask", "{broken}"], "--mask {broken}: not an image"),
        (["{photo}", "{blue}", "--mask", "nowhere.png"], "--mask nowhere.png: no such file or directory"),
        (
            ["{photo}", "{blue}", "{red}", "--mask", "{left}", "--mask", "{left}", "--mask", "{right}"],
            "--mask was given 3 times for 2 styles",
        ),
        (
            ["{photo}", "{blue}", "{red}", "--mask", "{left}"],
            "has 1 colour besides black (#ffffff) for 2 styles",
        ),
        (["{photo}", "{blue}", "--mask-colors", "red"], "--mask-colors needs exactly one --mask"),
        (["{photo}", "{blue}", "{red}", "--mask", "{colors}", "--mask-colors", "red"], "has 1 colours for 2"),
        (["{photo}", "{blue}", "--mask", "{colors}", "--mask-colors", "reddish"], "unknown colour 'reddish'"),
        (["{photo}", "{blue}", "{red}", "--mask", "{left}", "--mask", "{left}"], "leaves no region for"),
        (["{photo}", "{blue}", "--mask", "{left}", "--tile", "on"], "--mask does not work with --tile on"),
    ],
)
def test_bad_masks_are_one_line_and_exit_2(files, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    black = tmp_path / "black.png"
    Image.new("L", (WIDTH, HEIGHT)).save(black)
    files = {**files, "left": str(black)} if "leaves no region" in message else files
    argv = [arg.format(**files) for arg in args]
    assert main(["style", *argv, "--size", "32", "--iterations", "1", "--scales", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("artgen: error: ")
    assert message.format(**files) in err[-1]
    assert [p.name for p in tmp_path.iterdir()] == ["black.png"]  # nothing written but the test's mask


def test_mask_counts_are_checked_before_anything_runs():
    with pytest.raises(InputError, match="given 2 times for 3 styles"):
        StyleConfig("a.jpg", ("b.jpg", "c.jpg", "d.jpg"), masks=("m.png", "n.png"))


@pytest.mark.slow
def test_regions_run_in_the_device_loop_too(files, tmp_path):
    """The compiled loop a GPU uses (here on the CPU) carries the regions' targets like the host loop."""
    from artgen.style import transfer

    config = StyleConfig.tiny(
        files["photo"],
        files["blue"],
        masks=(files["right"],),
        out=str(tmp_path / "device.png"),
        size=WIDTH,
        iterations=8,
        optimizer="adam",
        loop="device",
    )
    result = transfer(config)
    difference = np.abs(_read(result.out) - _read(files["photo"])).mean(axis=2)
    assert difference[:, : WIDTH // 2 - EDGE].max() <= 1.0 and difference[:, WIDTH // 2 + EDGE :].mean() > 5
    assert result.losses["style"] > 0
