"""Colour preservation: transfer the style's texture to the content's luminance only.

Gatys et al., "Preserving Color in Neural Artistic Style Transfer" (2016):
optimise on luminance images (the style's luminance matched in mean and
spread to the content's, so the brightness range stays the photo's), then
put the content's chroma back. YIQ is their colour space.
"""

from __future__ import annotations

import numpy as np

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "luminance_image", "match_luminance", "with_chroma_of"]

_RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]],
    dtype=np.float64,
)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)


def rgb_to_yiq(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB in 0-255 -> float YIQ with Y in 0-255."""
    return np.asarray(rgb, dtype=np.float64) @ _RGB_TO_YIQ.T


def yiq_to_rgb(yiq: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_yiq`, as unclipped float RGB."""
    return np.asarray(yiq, dtype=np.float64) @ _YIQ_TO_RGB.T


def luminance_image(rgb: np.ndarray) -> np.ndarray:
    """The luminance as a grey RGB image (float 0-255), what VGG sees of a luminance-only picture."""
    luma = rgb_to_yiq(rgb)[..., 0]
    return np.repeat(luma[..., None], 3, axis=-1)


def match_luminance(style_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The style's grey luminance image, shifted and scaled to the content's luminance mean and spread."""
    style_luma = rgb_to_yiq(style_rgb)[..., 0]
    content_luma = rgb_to_yiq(content_rgb)[..., 0]
    spread = content_luma.std() / max(style_luma.std(), 1e-6)
    matched = np.clip((style_luma - style_luma.mean()) * spread + content_luma.mean(), 0, 255)
    return np.repeat(matched[..., None], 3, axis=-1)


def with_chroma_of(stylized_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The stylised picture's luminance with the content's I and Q, as uint8 RGB."""
    yiq = rgb_to_yiq(content_rgb)
    yiq[..., 0] = rgb_to_yiq(stylized_rgb)[..., 0]
    return np.clip(yiq_to_rgb(yiq) + 0.5, 0, 255).astype(np.uint8)
