"""``--method fast`` and ``--init fast``: Magenta's network, its bundled weights against the source, and
everything a still, a batch and a clip can ask of it."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from artgen.cli import main
from artgen.events import Message
from artgen.style import StyleConfig

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(__file__).resolve().parent / "data" / "magenta"  # the wheel's two ONNX files, unchanged
BUNDLED = ROOT / "artgen" / "bundled"
PHOTO = str(BUNDLED / "samples" / "chelsea.jpg")
STARRY = str(BUNDLED / "styles" / "starry_night.jpg")
SCREAM = str(BUNDLED / "styles" / "the_scream.jpg")


def _converter():
    spec = importlib.util.spec_from_file_location("convert_magenta", ROOT / "scripts" / "convert_magenta.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), np.float32)


def _photo(size: tuple[int, int]) -> np.ndarray:
    with Image.open(PHOTO) as im:
        return np.asarray(im.convert("RGB").resize(size, Image.Resampling.LANCZOS), np.float32)


def _colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two pictures' colours are: per channel, the mean gap between their quantiles."""
    q = np.linspace(0, 1, 101)
    return float(
        np.mean([np.abs(np.quantile(a[..., c], q) - np.quantile(b[..., c], q)).mean() for c in range(3)])
    )


def _fast(tmp_path, name: str = "out.png", **overrides) -> tuple[np.ndarray, object]:
    from artgen.style.fast import paint

    values = dict(method="fast", size=96, out=str(tmp_path / name), preview_every=0)
    values.update(overrides)
    styles = values.pop("styles", (STARRY,))
    result = paint(StyleConfig(values.pop("content", PHOTO), styles, **values))
    return _read(result.out), result


# -- the network and its weights ----------------------------------------------------------------------


def test_bundled_weights_are_what_the_converter_writes_from_the_source():
    converter = _converter()
    provenance = json.loads((BUNDLED / "magenta" / "provenance.json").read_text())
    for role, name in converter.FILES.items():
        assert (
            hashlib.sha256((SOURCE / name).read_bytes()).hexdigest() == provenance["source"]["sha256"][role]
        )
    converted = converter.convert(SOURCE)
    with np.load(BUNDLED / "magenta" / "magenta_arbitrary.npz", allow_pickle=False) as data:
        bundled = {key: data[key] for key in data.files}
    assert sorted(bundled) == sorted(converted) == sorted(provenance["arrays"])
    for key, array in bundled.items():
        assert converter.array_digest(array) == provenance["arrays"][key], key
        np.testing.assert_array_equal(array, converted[key].astype(array.dtype))
    assert bundled["contract_conv1.kernel"].shape == (9, 9, 3, 8)  # HWIO, Keras' layout
    assert bundled["expanded_conv_1_depthwise.kernel"].shape == (3, 3, 96, 1)
    assert bundled["residual3_conv2_scale.kernel"].shape == (100, 32)


@pytest.mark.slow
def test_keras_networks_match_the_onnx_source():
    """A 64 px photo and a 256 px painting (the predictor's own size) under onnx's reference evaluator:
    the same arithmetic as the source less its int8 steps, and near the source as it is."""
    from artgen.style.magenta import MAGENTA_WEIGHTS

    converter = _converter()
    photo = _photo((64, 64)) / 255
    painting = np.asarray(Image.open(STARRY).convert("RGB").resize((256, 256)), np.float32) / 255
    figures = converter.check(SOURCE, MAGENTA_WEIGHTS, photo.astype(np.float32), painting)
    exact, as_shipped = figures["float"], figures["int8"]
    assert exact["style_vector_max"] < 1e-4 and exact["end_to_end_max"] < 1e-4
    # the source rounds each layer's output to int8 (measured 0.0065, 0.035); the Keras network keeps floats
    assert as_shipped["style_vector_mean"] < 0.02 and as_shipped["end_to_end_mean"] < 0.06


def test_bfloat16_convolutions_paint_the_float32_picture_within_a_level():
    """Where a CPU has AMX the network's convolutions run in bfloat16: the picture may move by rounding,
    not by what it shows (at 512 px, measured: 0.6 levels of 255 on average, 4 at the 99.9th percentile)."""
    from artgen.style.fast import FastNet

    float32, bfloat16 = FastNet("float32"), FastNet("bfloat16")
    vector = float32.style_vector(_read(STARRY))[None]
    photo = _photo((96, 64))[None]
    exact, rounded = float32.paint(photo, vector), bfloat16.paint(photo, vector)
    gap = np.abs(exact - rounded)
    assert gap.mean() < 1.0 and np.quantile(gap, 0.999) < 8
    assert _colour_distance(exact[0], rounded[0]) < 0.5


def test_a_batch_paints_each_picture_as_it_is_painted_alone():
    """Under TensorFlow one picture's norms are oneDNN's fused batch norm, a batch's are keras.ops'."""
    from artgen.style.magenta import build_transformer

    net = build_transformer()
    photos = np.stack([_photo((64, 48)), _photo((64, 48))[::-1]]) / 255
    vectors = np.random.default_rng(0).normal(0, 0.5, (2, 100)).astype(np.float32)
    together = np.asarray(net([photos, vectors]))
    for index in range(2):
        alone = np.asarray(net([photos[index : index + 1], vectors[index : index + 1]]))[0]
        np.testing.assert_allclose(alone, together[index], atol=1e-4)


def test_float_graph_keeps_the_sources_weights_and_drops_only_int8_steps():
    converter = _converter()
    floated = converter.float_graph(SOURCE / converter.FILES["transformer"])
    ops = {node.op_type for node in floated.graph.node}
    assert not ops & {"QuantizeLinear", "DequantizeLinear"}
    assert sum(node.op_type == "Conv" for node in floated.graph.node) == 42  # 16 convolutions, 26 dense


# -- still pictures --------------------------------------------------------------------------------


def test_fast_picture_differs_from_the_photo_and_takes_the_paintings_colours(tmp_path):
    out, result = _fast(tmp_path)
    assert result.size == (96, 64) and out.shape == (64, 96, 3)
    photo = _photo(result.size)
    painting = _read(STARRY)
    assert np.abs(out - photo).mean() > 20
    assert _colour_distance(out, painting) < 0.6 * _colour_distance(photo, painting)


def test_strength_moves_from_the_photos_own_style_to_the_paintings(tmp_path):
    pictures = {s: _fast(tmp_path, f"s{s}.png", strength=s)[0] for s in (0.0, 0.5, 1.0)}
    photo, painting = _photo((96, 64)), _read(STARRY)
    to_painting = [_colour_distance(pictures[s], painting) for s in (0.0, 0.5, 1.0)]
    assert to_painting[0] > to_painting[1] > to_painting[2]
    assert _colour_distance(pictures[0.0], photo) < _colour_distance(pictures[1.0], photo)


def test_style_blend_weights_the_style_vectors(tmp_path):
    alone, _ = _fast(tmp_path, "alone.png")
    first_only, _ = _fast(tmp_path, "first.png", styles=(STARRY, SCREAM), style_blend=(1.0, 0.0))
    both, _ = _fast(tmp_path, "both.png", styles=(STARRY, SCREAM))
    np.testing.assert_array_equal(first_only, alone)
    assert np.abs(both - alone).mean() > 5


def test_preserve_colors_keeps_the_photos_colours(tmp_path):
    from artgen.style.color import rgb_to_yiq

    out, result = _fast(tmp_path, preserve_colors=True)
    plain, _ = _fast(tmp_path, "plain.png")
    photo = _photo(result.size)
    chroma = lambda picture: rgb_to_yiq(picture)[..., 1:]
    assert np.abs(chroma(out) - chroma(photo)).mean() < 2  # rounding and the gamut's edge
    assert np.abs(chroma(plain) - chroma(photo)).mean() > 10
    assert np.abs(rgb_to_yiq(out)[..., 0] - rgb_to_yiq(photo)[..., 0]).mean() > 10  # the texture is painted


def test_masks_paint_each_region_with_its_style_and_keep_the_photo_elsewhere(tmp_path):
    mask = np.zeros((64, 96), np.uint8)
    mask[:, :48] = 255
    Image.fromarray(mask).save(tmp_path / "left.png")
    Image.fromarray(255 - mask).save(tmp_path / "right.png")
    one, result = _fast(tmp_path, "one.png", masks=(str(tmp_path / "left.png"),), mask_feather=0)
    photo = np.clip(_photo(result.size) + 0.5, 0, 255).astype(np.uint8).astype(np.float32)
    np.testing.assert_array_equal(one[:, 48:], photo[:, 48:])
    assert np.abs(one[:, :48] - photo[:, :48]).mean() > 20
    masks = (str(tmp_path / "left.png"), str(tmp_path / "right.png"))
    two, _ = _fast(tmp_path, "two.png", styles=(STARRY, SCREAM), masks=masks, mask_feather=0)
    starry, _ = _fast(tmp_path, "starry.png")
    scream, _ = _fast(tmp_path, "scream.png", styles=(SCREAM,))
    np.testing.assert_allclose(two[:, :48], starry[:, :48], atol=1)
    np.testing.assert_allclose(two[:, 48:], scream[:, 48:], atol=1)


def test_a_picture_too_large_for_memory_is_painted_smaller_and_enlarged(tmp_path, monkeypatch):
    import keras

    from artgen.style import memory
    from artgen.style.fast import BYTES_PER_PIXEL, MEMORY_SHARE, paint

    room = BYTES_PER_PIXEL[keras.backend.backend()] * 48 * 32 / MEMORY_SHARE  # a 48x32 painting's worth
    monkeypatch.setattr(memory, "device_memory", lambda: ("CPU", 0, room))

    events = []
    config = StyleConfig(PHOTO, (STARRY,), method="fast", size=96, out=str(tmp_path / "big.png"))
    result = paint(config, events.append)
    assert result.size == (96, 64) and _read(result.out).shape == (64, 96, 3)
    warnings = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
    assert len(warnings) == 1 and "painting at 48x32 and enlarging" in warnings[0]


def test_fast_cli_writes_a_picture_and_never_overwrites_silently(tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["style", PHOTO, STARRY, "--method", "fast", "--size", "64", "-o", str(out)]) == 0
    before = out.read_bytes()
    assert main(["style", PHOTO, STARRY, "--method", "fast", "--size", "64", "-o", str(out)]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before
    argv = ["style", PHOTO, STARRY, "--method", "fast", "--size", "64", "-o", str(out), "--overwrite"]
    assert main([*argv, "--strength", "0.3"]) == 0
    assert out.read_bytes() != before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "fast", "--iterations", "5"], "--iterations is for --method gatys"),
        (["--method", "fast", "--init", "noise"], "--init is for --method gatys"),
        (["--method", "fast", "--tile"], "--method fast does not paint in tiles"),
        (["--init", "content", "--strength", "0.5"], "--strength is the fast method's"),
        (["--seamless", "--strength", "0.5"], "--strength is the fast method's"),  # starts from the photo
        (["--init", "fast", "--seamless"], "--init fast does not tile"),
        (["--method", "fast", "--strength", "2"], "--strength must be between 0 and 1"),
    ],
)
def test_settings_the_method_does_not_read_are_refused_in_one_line(tmp_path, capsys, args, message):
    assert main(["style", PHOTO, STARRY, "-o", str(tmp_path / "x.png"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("artgen: error: ") and message in err[0]
    assert not (tmp_path / "x.png").exists()


def test_a_folder_of_photos_is_painted_fast(tmp_path):
    from artgen.style import stylise

    folder = tmp_path / "photos"
    folder.mkdir()
    for name, side in (("a.png", 40), ("b.jpg", 50)):
        Image.fromarray(_photo((side, side)).astype(np.uint8)).save(folder / name)
    (folder / "notes.png").write_bytes(b"not a picture")
    config = StyleConfig(str(folder), (STARRY,), method="fast", size=48, out=str(tmp_path / "out"))
    result = stylise(config)
    assert sorted(Path(p).name for p in result.written) == ["a.png", "b.png"]
    assert [Path(photo).name for photo, _ in result.failed] == ["notes.png"]
    assert json.loads(result.report.read_text())["photos"] == 3


# -- clips -------------------------------------------------------------------------------------------


def _pan(tmp_path, count: int = 8) -> Path:
    """The photo panned a few pixels a frame, as a GIF."""
    with Image.open(PHOTO) as im:
        wide = np.asarray(im.convert("RGB").resize((160, 80), Image.Resampling.LANCZOS))
    frames = [Image.fromarray(wide[:, 3 * i : 3 * i + 96]) for i in range(count)]
    path = tmp_path / "pan.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=80, loop=0)
    return path


def test_fast_clip_is_steadier_than_independent_frames(tmp_path):
    from artgen.style import stylise

    clip = _pan(tmp_path)
    results = {
        weight: stylise(
            StyleConfig(
                str(clip),
                (STARRY,),
                method="fast",
                size=96,
                temporal_weight=weight,
                preview_every=0,
                out=str(tmp_path / f"out-{weight}.gif"),
            )
        )
        for weight in (0.0, 300.0)
    }
    stable, independent = results[300.0], results[0.0]
    assert stable.frame_count == independent.frame_count == 8
    assert stable.warped_flicker < 0.8 * independent.warped_flicker
    figures = json.loads(stable.stats.read_text())
    assert figures["method"] == "fast" and figures["frames"] == 8
    assert figures["cpu_seconds_per_frame"] > 0
    with Image.open(stable.out) as written:
        assert written.n_frames == 8 and written.size == (96, 80)


def test_a_stable_fast_pan_holds_its_strokes_along_the_flow(tmp_path):
    """Measured as the stable Gatys path's figures are (its flow and trust): what the painting changes
    beyond the camera's motion is a small part of what frames painted one by one change, and the plain
    flicker is no more than theirs. On this pan, measured: along the flow 0.05 against 1.15."""
    from artgen.style.fast import fast_net
    from artgen.style.fast_clips import FastFramePainter
    from artgen.style.sequence import Flicker

    with Image.open(_pan(tmp_path)) as clip:
        frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(clip)]
    figures = {}
    for weight in (0.0, 300.0):
        config = StyleConfig("pan.gif", (STARRY,), method="fast", size=96, temporal_weight=weight)
        painter = FastFramePainter(fast_net(), config, [_read(STARRY)], (96, 80))
        measured = Flicker()
        for frame, painted in zip(frames, painter.paint_all(frames), strict=True):
            measured.add(frame, painted)
        figures[weight] = measured
    stable, independent = figures[300.0], figures[0.0]
    assert stable.warped_ratio < 0.15 and stable.warped_ratio < 0.1 * independent.warped_ratio
    assert stable.ratio <= independent.ratio


def test_the_network_a_frame_ahead_paints_what_one_frame_at_a_time_does(tmp_path):
    from artgen.style.fast import fast_net
    from artgen.style.fast_clips import FastFramePainter

    with Image.open(_pan(tmp_path, 4)) as clip:
        frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(clip)]
    config = StyleConfig("pan.gif", (STARRY,), method="fast", size=96)
    ahead = list(FastFramePainter(fast_net(), config, [_read(STARRY)], (96, 80)).paint_all(frames))
    alone = FastFramePainter(fast_net(), config, [_read(STARRY)], (96, 80))
    assert all(np.array_equal(a, alone.paint(frame)) for a, frame in zip(ahead, frames, strict=True))


def test_clips_refuse_init_fast_and_the_strength_of_a_start_they_do_not_paint(tmp_path, capsys):
    clip = _pan(tmp_path, 3)
    assert main(["style", str(clip), STARRY, "--init", "fast", "--size", "32"]) == 2
    assert "--init fast is for still pictures" in capsys.readouterr().err
    assert main(["style", str(clip), STARRY, "--strength", "0.5", "--size", "32"]) == 2
    assert "--strength is for still pictures" in capsys.readouterr().err


# -- Gatys from the fast picture -----------------------------------------------------------------------


def test_a_still_starts_from_the_fast_picture_at_full_size_unless_told_otherwise():
    from artgen.style import config as settings

    still = StyleConfig(PHOTO, (STARRY,))
    assert (still.init, still.iterations, still.scales) == ("auto", None, None)
    fast = (settings.FAST_START_ITERATIONS, settings.FAST_START_SCALES)
    photo = (settings.PHOTO_START_ITERATIONS, settings.PHOTO_START_SCALES)
    settled = still.settled()
    assert (settled.init, settled.iterations, settled.scales) == ("fast", *fast)
    assert still.scale_sizes() == (512,)
    # the fast picture does not tile, and a clip's later frames start from the last painted one
    for settled in (StyleConfig(PHOTO, (STARRY,), seamless=True).settled(), still.settled(clip=True)):
        assert (settled.init, settled.iterations, settled.scales) == ("content", *photo)
    for init in ("content", "noise", "style"):
        settled = StyleConfig(PHOTO, (STARRY,), init=init).settled()
        assert (settled.iterations, settled.scales) == photo
    told = StyleConfig(PHOTO, (STARRY,), iterations=7, scales=2)
    assert told.settled() == replace(told, init="fast")
    instant = StyleConfig(PHOTO, (STARRY,), method="fast")
    assert instant.settled() is instant


def test_the_default_optimisation_paints_its_start_with_the_fast_method(tmp_path):
    from artgen.style import transfer

    said = []
    config = StyleConfig(
        PHOTO, (STARRY,), size=48, iterations=2, preview_every=0, out=str(tmp_path / "a.png")
    )
    result = transfer(config, lambda event: said.append(getattr(event, "text", "")))
    assert "painting the start with --method fast" in said
    assert result.iterations == 2 and max(result.size) == 48  # one scale: the full size


@pytest.mark.slow
def test_init_fast_reaches_a_lower_loss_than_the_photo_in_as_many_iterations(tmp_path):
    from artgen.style import transfer

    losses = {}
    for init in ("content", "fast"):
        config = StyleConfig(
            PHOTO,
            (STARRY,),
            size=128,
            scales=1,
            iterations=10,
            init=init,
            preview_every=0,
            out=str(tmp_path / f"{init}.png"),
        )
        losses[init] = transfer(config).losses["total"]
    assert losses["fast"] < losses["content"]
