"""What a loaded Keras model must look like for the part artgen gives it: generator or classifier.

``safe_mode=True`` keeps code out of a ``.keras`` file, not a network of
another kind: an image-to-image model loads as well as a generator, and
would fail deep inside the first call, in Keras' words. Each role's check
runs right after loading and names what the role expects and what the model
has, as input and output shapes. It reads only the model's symbolic inputs
and outputs, so it runs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgen.errors import ModelError

__all__ = ["check_generator", "check_classifier"]

Shape = tuple[Any, ...]


def check_generator(model: Any, path: str | Path) -> None:
    """A generator takes one latent vector (batch, N) and gives one square RGB image (batch, S, S, 3)."""
    found = _shapes(model)
    if found is not None and len(found[0]) == len(found[1]) == 1:
        (latent,), (image,) = found
        if len(latent) == 2 and _sized(latent[1]) and _rgb_square(image) and _sized(image[1]):
            return
    expects = "a latent vector in and a square RGB image out, (None, N) -> (None, S, S, 3)"
    raise _wrong_role(path, "an artgen generator", expects, found)


def check_classifier(model: Any, path: str | Path, classes: int, size: int) -> None:
    """A classifier takes one RGB image of ``size`` (its class-names file says which) and gives a
    score for each of the ``classes`` that file names."""
    found = _shapes(model)
    if found is not None and len(found[0]) == len(found[1]) == 1:
        (image,), (scores,) = found
        if _rgb_square(image) and image[1] in (None, size) and scores == (None, classes):
            return
    expects = (
        f"a {size}x{size} RGB image in and {classes} class scores out, "
        f"(None, {size}, {size}, 3) -> (None, {classes})"
    )
    raise _wrong_role(path, "an artgen classifier", expects, found)


def _sized(length: Any) -> bool:
    return isinstance(length, int) and length > 0


def _rgb_square(shape: Shape) -> bool:
    return len(shape) == 4 and shape[1] == shape[2] and shape[3] == 3


def _shapes(model: Any) -> tuple[list[Shape], list[Shape]] | None:
    """The model's input and output shapes; None for a model with no defined inputs (never built)."""
    try:
        return [tuple(t.shape) for t in model.inputs], [tuple(t.shape) for t in model.outputs]
    except (AttributeError, TypeError, ValueError):
        return None


def _show(shapes: list[Shape]) -> str:
    text = ", ".join(str(shape).replace(",)", ")") for shape in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _wrong_role(
    path: str | Path, role: str, expects: str, found: tuple[list[Shape], list[Shape]] | None
) -> ModelError:
    got = "a model with no defined inputs" if found is None else f"{_show(found[0])} -> {_show(found[1])}"
    return ModelError(f"{path} is not {role}: expects {expects}; got {got}")
