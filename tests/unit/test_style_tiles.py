"""Tiled style transfer: the same losses, gradients and pictures as untiled, in any number of tiles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from artgen.style import StyleConfig
from artgen.style.tiles import ALIGN, margin_for, plan_tiles, tv_value_and_grad


@pytest.mark.parametrize(("height", "width", "core"), [(341, 512, 160), (250, 330, 32), (100, 90, 64)])
def test_tile_cores_cover_the_picture_once_and_windows_are_aligned(height, width, core):
    margin = margin_for("vgg16")
    tiles = plan_tiles(height, width, core, margin)
    owner = np.zeros((height, width), int)
    for tile in tiles:
        top, bottom, left, right = tile.core
        owner[top:bottom, left:right] += 1
        w_top, w_bottom, w_left, w_right = tile.window
        assert w_top % ALIGN == 0 and w_left % ALIGN == 0  # max pooling cuts where it cuts the picture
        assert w_top <= max(top - margin, 0) and w_bottom >= min(bottom + margin, height)
        assert w_left <= max(left - margin, 0) and w_right >= min(right + margin, width)
    assert (owner == 1).all()
    shapes = {(t.window[1] - t.window[0], t.window[3] - t.window[2]) for t in tiles}
    assert len(shapes) <= 4  # at most four compilations per picture shape


def test_margin_covers_the_deepest_layers_receptive_field():
    # block5_conv1 of VGG16 sees 132 px (VGG19: 156): a margin of half that, aligned, is 80.
    assert margin_for("vgg16") == margin_for("vgg19") == 80


def test_numpy_tv_matches_the_backend_loss():
    from artgen.style.losses import tv_loss

    image = np.random.default_rng(0).normal(0, 50, (1, 9, 11, 3))
    grad = np.zeros_like(image)
    value = tv_value_and_grad(image, grad)
    assert value == pytest.approx(float(tv_loss(image.astype(np.float32))), rel=1e-5)
    bumped = image.copy()
    bumped[0, 4, 5, 1] += 1e-3
    numeric = (tv_value_and_grad(bumped, np.zeros_like(image)) - value) / 1e-3
    assert grad[0, 4, 5, 1] == pytest.approx(numeric, rel=1e-3)
    weighted = np.ones_like(image)  # adds its weighted gradient to what is there
    assert tv_value_and_grad(image, weighted, 3.0) == value
    np.testing.assert_allclose(weighted, 1 + 3 * grad, rtol=1e-9)


@pytest.mark.slow
def test_tiled_targets_gram_matrices_and_gradients_match_untiled():
    """On a shallow cut of VGG16 (receptive field 14 px, so a 16 px margin): twelve small windows, fast."""
    from artgen import vgg
    from artgen.style import tiles
    from artgen.style.losses import Weights, targets_for
    from artgen.style.objective import make_tile_functions, make_value_and_grad

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:90, 0:100].astype(np.float32)
    photo = np.stack([xx, yy, 100 - xx], -1) * 2 + rng.normal(0, 20, (90, 100, 3))
    painting = np.where(((xx + yy) // 5 % 2)[..., None] == 0, 40.0, 220.0) + rng.normal(0, 30, (90, 100, 3))
    content, style = (vgg.preprocess(p.clip(0, 255)) for p in (photo, painting))
    layers = ("block1_conv1", "block2_conv1", "block2_conv2")  # style, style, content
    model = vgg.build_features("vgg16", layers)
    strides = tuple(vgg.stride_of(name) for name in layers)
    statistics, share = make_tile_functions(model)
    untiled = targets_for(model, content, [style], (1.0,), (1.0, 1.0))
    tiled = tiles.tiled_targets(statistics, content, [style], (1.0,), (1.0, 1.0), 32, ALIGN, strides)
    np.testing.assert_allclose(tiled.content, untiled.content, rtol=1e-4, atol=1e-3)
    for a, b in zip(tiled.grams, untiled.grams, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())

    shape = content.shape
    weights = Weights(1.0, 10.0, 1.0)
    x = (content + rng.normal(0, 20, shape)).astype(np.float64).ravel()
    plan = plan_tiles(shape[1], shape[2], 32, ALIGN)
    assert len(plan) == 12  # seams in both directions
    total, grad, terms = make_value_and_grad(model, untiled, weights, shape)(x)
    tiled_fn = tiles.TiledValueAndGrad(statistics, share, untiled, weights, shape, plan, strides)
    t_total, t_grad, t_terms = tiled_fn(x)
    for name in terms:  # float32 sums in another order: agreement to ~1e-6 relative
        assert t_terms[name] == pytest.approx(terms[name], rel=1e-5)
    assert np.linalg.norm(t_grad - grad) <= 1e-4 * np.linalg.norm(grad)
    # with too small a margin the windows' edges leak into the cores: the test can tell
    narrow = plan_tiles(shape[1], shape[2], 32, 0)
    wrong = tiles.TiledValueAndGrad(statistics, share, untiled, weights, shape, narrow, strides)(x)[1]
    assert np.linalg.norm(wrong - grad) > 1e-2 * np.linalg.norm(grad)


@pytest.mark.slow
def test_tiled_transfer_writes_the_untiled_picture(tmp_path):
    from artgen.style import transfer

    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 255, (150, 200, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(rng.integers(0, 255, (90, 90, 3), dtype=np.uint8)).save(tmp_path / "paint.png")
    common = dict(size=272, iterations=2, scales=1, preview_every=0)  # 3 tiles of the real network
    photo, paint = str(tmp_path / "photo.png"), str(tmp_path / "paint.png")
    whole = transfer(StyleConfig(photo, (paint,), out=str(tmp_path / "whole.png"), tile="off", **common))
    seen = []
    tiled = transfer(
        StyleConfig(photo, (paint,), out=str(tmp_path / "tiled.png"), tile="on", tile_size=96, **common),
        seen.append,
    )
    assert any("in 96 px tiles" in getattr(event, "text", "") for event in seen)
    assert tiled.losses["total"] == pytest.approx(whole.losses["total"], rel=1e-3)
    a = np.asarray(Image.open(whole.out), np.int16)
    b = np.asarray(Image.open(tiled.out), np.int16)
    assert a.shape == b.shape == (204, 272, 3) and np.abs(a - b).mean() < 0.5


@pytest.mark.slow
def test_a_stop_lands_within_a_tiled_evaluation_and_keeps_the_best_picture(tmp_path):
    """At 4096 px one evaluation takes minutes; a stop asked mid-way must not wait for it to end."""
    from artgen.style import transfer

    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (150, 200, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    Image.fromarray(rng.integers(0, 255, (90, 90, 3), dtype=np.uint8)).save(tmp_path / "paint.png")
    photo, paint = str(tmp_path / "photo.png"), str(tmp_path / "paint.png")
    config = StyleConfig(
        photo, (paint,), out=str(tmp_path / "out.png"), size=272, iterations=5, scales=1, preview_every=0
    )
    asked = 0

    def should_stop() -> bool:  # asked before every tile; says stop in the second evaluation's first pass
        nonlocal asked
        asked += 1
        return asked > 3 * 2 + 1  # 3 tiles, two passes each, then one more tile

    result = transfer(replace(config, tile="on", tile_size=96), should_stop=should_stop)
    # without the check between tiles the second evaluation would finish, and with it iteration 1
    assert result.stopped and result.iterations == 0
    picture = np.asarray(Image.open(result.out))
    assert picture.shape == (204, 272, 3)
