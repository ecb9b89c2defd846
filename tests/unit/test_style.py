"""Style transfer engine: losses, bundled weights, optimisation, colours, scales, early stop."""

from __future__ import annotations

import importlib.util
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgen.errors import InputError, ModelError
from artgen.events import Metrics, Preview, Progress
from artgen.style import StyleConfig

ROOT = Path(__file__).resolve().parents[2]


def _converter():
    spec = importlib.util.spec_from_file_location("convert_vgg16", ROOT / "scripts" / "convert_vgg16.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> tuple[str, str]:
    """A smooth 'photo' (coloured gradients, 4:3) and a busy 'painting' (stripes and dots)."""
    folder = tmp_path_factory.mktemp("pictures")
    yy, xx = np.mgrid[0:72, 0:96].astype(np.float32)
    photo = np.stack([xx / 96 * 255, yy / 72 * 255, 255 - xx / 96 * 200], axis=-1)
    photo[20:50, 30:60] = (230, 200, 40)
    rng = np.random.default_rng(1)
    painting = np.where(((xx + 2 * yy) // 6 % 2)[..., None] == 0, (20, 40, 160), (250, 220, 90)).astype(
        np.float32
    )
    painting += rng.normal(0, 25, painting.shape)
    content, style = folder / "photo.png", folder / "painting.png"
    Image.fromarray(photo.clip(0, 255).astype(np.uint8)).save(content)
    Image.fromarray(painting.clip(0, 255).astype(np.uint8)).save(style)
    return str(content), str(style)


def test_gram_matrix_matches_numpy():
    from artgen.style.losses import gram_matrix

    features = np.random.default_rng(0).normal(size=(1, 5, 7, 4)).astype(np.float32)
    flat = features.reshape(35, 4).astype(np.float64)
    expected = flat.T @ flat / 35
    np.testing.assert_allclose(np.asarray(gram_matrix(features)), expected, rtol=1e-5, atol=1e-6)


def test_config_checks_values_and_round_trips():
    config = StyleConfig("a.jpg", ("b.jpg", "c.jpg"), style_blend=(3, 1), size=512, scales=3)
    assert config.blend() == (0.75, 0.25)
    assert config.scale_sizes() == (128, 256, 512)
    assert StyleConfig(size=64, scales=5, content="a", styles=("b",)).scale_sizes() == (32, 64)
    assert StyleConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(InputError, match="--style-blend has 1 weights for 2"):
        StyleConfig("a.jpg", ("b.jpg", "c.jpg"), style_blend=(1,))
    with pytest.raises(InputError, match="--optimizer"):
        StyleConfig("a.jpg", ("b.jpg",), optimizer="sgd")
    with pytest.raises(InputError, match="--size"):
        StyleConfig("a.jpg", ("b.jpg",), size=4)


def test_bundled_weights_are_what_the_converter_wrote():
    converter = _converter()
    provenance = json.loads((ROOT / "artgen" / "bundled" / "vgg16" / "provenance.json").read_text())
    with np.load(ROOT / "artgen" / "bundled" / "vgg16" / "vgg16_conv.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    assert sorted(arrays) == sorted(provenance["arrays"])
    assert len(arrays) == 26
    for key, array in arrays.items():
        assert converter.array_digest(array) == provenance["arrays"][key], key
    assert arrays["block1_conv1.kernel"].shape == (3, 3, 3, 64)  # HWIO, Keras' layout
    assert arrays["block5_conv3.kernel"].shape == (3, 3, 512, 512)
    # ImageNet VGG16's first biases, as published with Keras' vgg16 weights.
    np.testing.assert_allclose(arrays["block1_conv1.bias"][:3], [0.7343, 0.0934, 0.0678], atol=1e-3)


def test_converter_reads_conv_nodes_and_transposes_oihw_to_hwio(tmp_path):
    import onnx
    from onnx import helper, numpy_helper

    converter = _converter()
    rng = np.random.default_rng(0)
    nodes, inits, kernels = [], [], {}
    previous = "input"
    for layer in converter.LAYERS:
        kernel = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)  # OIHW
        kernels[layer] = kernel
        inits += [
            numpy_helper.from_array(kernel, f"k_{layer}"),
            numpy_helper.from_array(np.ones(2, np.float32), f"b_{layer}"),
        ]
        nodes.append(
            helper.make_node(
                "Conv", [previous, f"k_{layer}", f"b_{layer}"], [f"out_{layer}"], name=f"m/{layer}_1/BiasAdd"
            )
        )
        previous = f"out_{layer}"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info(previous, onnx.TensorProto.FLOAT, None)],
        inits,
    )
    path = tmp_path / "fake.onnx"
    onnx.save(helper.make_model(graph), path)
    arrays = converter.convert(path)
    out = kernels["block3_conv2"]
    assert arrays["block3_conv2.kernel"].dtype == np.float16
    np.testing.assert_allclose(arrays["block3_conv2.kernel"], out.transpose(2, 3, 1, 0), atol=2e-3)
    converter.write_asset(arrays, tmp_path / "asset", "0" * 64)
    from artgen.vgg import vgg16_weights

    loaded = vgg16_weights(tmp_path / "asset" / "vgg16_conv.npz")
    np.testing.assert_array_equal(
        loaded["block1_conv1.kernel"], arrays["block1_conv1.kernel"].astype(np.float32)
    )


def test_feature_model_carries_the_bundled_weights():
    from artgen import vgg

    model = vgg.build_features("vgg16")
    kernel, bias = model.get_layer("block4_conv2").get_weights()
    bundled = vgg.vgg16_weights()
    np.testing.assert_array_equal(kernel, bundled["block4_conv2.kernel"])
    np.testing.assert_array_equal(bias, bundled["block4_conv2.bias"])
    assert [t.shape[-1] for t in model.outputs] == [64, 128, 256, 512, 512, 512]
    with pytest.raises(ValueError):  # cut after the deepest layer the losses read
        model.get_layer("block5_conv2")


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
@pytest.mark.slow
def test_total_loss_falls_and_image_is_written(pictures, tmp_path, optimizer):
    from artgen.style import transfer

    content, style = pictures
    seen: list = []
    config = StyleConfig.tiny(
        content, style, out=str(tmp_path / "out.png"), optimizer=optimizer, iterations=8
    )
    result = transfer(config, seen.append)
    metrics = [event for event in seen if isinstance(event, Metrics)]
    totals = [event.values["total"] for event in metrics]
    assert metrics[-1].step == 8 and len(totals) >= 2  # Adam's device loop reports every few iterations
    assert totals[-1] < 0.75 * totals[0]  # the first report is after one step already
    assert result.losses["total"] <= min(totals) + 1e-6  # the best image is the one written
    with Image.open(result.out) as written:
        assert written.size == (48, 36) == result.size
    assert isinstance(seen[-1], Preview) and seen[-1].path == str(result.out)


@pytest.mark.slow
def test_multiscale_output_has_requested_size_and_reports_each_scale(pictures, tmp_path):
    from artgen.style import transfer

    content, style = pictures
    seen: list = []
    config = StyleConfig.tiny(
        content,
        style,
        out=str(tmp_path / "big.png"),
        size=80,
        scales=2,
        iterations=3,
        preview_every=2,
        work_dir=str(tmp_path / "work"),
    )
    result = transfer(config, seen.append)
    stages = {event.stage for event in seen if isinstance(event, Progress)}
    assert stages == {"scale 1/2 (40x30)", "scale 2/2 (80x60)"}
    assert [e.step for e in seen if isinstance(e, Progress)][-1] == 6
    previews = [e for e in seen if isinstance(e, Preview)]
    assert Path(previews[0].path).parent == tmp_path / "work"
    with Image.open(result.out) as written:
        assert written.size == (80, 60)


def test_preserve_colors_keeps_the_contents_chroma(pictures, tmp_path):
    from artgen.style import color, transfer

    content, style = pictures
    config = StyleConfig.tiny(
        content, style, out=str(tmp_path / "kept.png"), preserve_colors=True, iterations=6
    )
    result = transfer(config)
    out = np.asarray(Image.open(result.out), dtype=np.float64)
    photo = np.asarray(Image.open(content).resize(result.size, Image.Resampling.LANCZOS), dtype=np.float64)
    chroma_error = np.abs(color.rgb_to_yiq(out)[..., 1:] - color.rgb_to_yiq(photo)[..., 1:]).mean()
    luma_change = np.abs(color.rgb_to_yiq(out)[..., 0] - color.rgb_to_yiq(photo)[..., 0]).mean()
    assert chroma_error < 1.5  # rounding and clipping to 0-255 only
    assert luma_change > 3  # the texture did change


def test_stop_request_writes_best_image_at_full_size(pictures, tmp_path):
    from artgen.style import transfer

    content, style = pictures
    calls = []

    def stop_soon() -> bool:
        calls.append(1)
        return len(calls) >= 2

    config = StyleConfig.tiny(
        content, style, out=str(tmp_path / "early.png"), size=64, scales=2, iterations=50
    )
    result = transfer(config, should_stop=stop_soon)
    assert result.stopped and result.iterations == 2
    with Image.open(result.out) as written:
        assert written.size == (64, 48)


def test_save_every_writes_frames_and_a_gif(pictures, tmp_path):
    from artgen.style import transfer

    content, style = pictures
    config = StyleConfig.tiny(content, style, out=str(tmp_path / "anim.png"), iterations=4, save_every=2)
    result = transfer(config)
    assert sorted(p.name for p in result.frames.glob("frame-*.png")) == ["frame-00002.png", "frame-00004.png"]
    with Image.open(result.gif) as gif:
        assert gif.n_frames >= 2 and gif.size == result.size


def _png_claiming_size(path: Path, width: int, height: int) -> None:
    """A real PNG whose header says width x height: how a decompression bomb looks before decoding."""
    Image.new("RGB", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    path.write_bytes(bytes(data))


def test_unusable_images_are_refused_with_one_clear_line(pictures, tmp_path):
    from artgen.style.pictures import load_image

    (tmp_path / "text.jpg").write_text("not a picture")
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    _png_claiming_size(tmp_path / "huge.png", 20000, 20000)
    for name, reason in [
        ("missing.jpg", "no such file"),
        ("text.jpg", "not an image"),
        ("dot.png", "too small"),
        ("huge.png", "too large"),
    ]:
        with pytest.raises(InputError, match=reason) as caught:
            load_image(tmp_path / name)
        assert "\n" not in str(caught.value)


def test_cmyk_16_bit_and_animated_images_become_rgb(tmp_path):
    from artgen.style.pictures import load_image

    Image.new("CMYK", (20, 20), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")
    Image.fromarray(np.full((20, 20), 40000, np.uint16)).save(tmp_path / "deep.png")
    frames = [Image.new("RGB", (20, 20), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    for name in ("cmyk.jpg", "deep.png", "anim.gif"):
        image = load_image(tmp_path / name)
        assert image.mode == "RGB" and image.size == (20, 20)
    assert load_image(tmp_path / "cmyk.jpg").getpixel((5, 5))[0] > 200  # red stays red


def test_vgg19_without_cached_weights_fails_with_one_line(monkeypatch, tmp_path):
    import keras

    from artgen import vgg

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(ModelError, match="--net vgg16") as caught:
        vgg.build_features("vgg19")
    assert "\n" not in str(caught.value)
