"""The path a walk takes through latent space: keyframes, easing and interpolation.

Pure numpy, so the geometry is testable without a model. A walk of N frames
over K keyframes visits keyframe k at frame k*N/K and returns to keyframe 0
after frame N-1: frame N would be frame 0, so a player looping the frames
sees no jump and no repeated frame.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lerp", "slerp", "ease", "frame_latents", "phase_latents"]


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Straight lines; midpoints of random latents fall to ~0.71 of their norm (greyer images)."""
    t = t[:, None]
    return (1.0 - t) * a + t * b


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Great-circle arcs, row by row: the norm stays between the two keyframes' norms.

    Gaussian latents live near a sphere of radius sqrt(dim); lerp cuts through
    its inside, where the generator saw no training inputs.
    """
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    t = t.astype(np.float64)[:, None]
    unit_a = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)
    unit_b = b / np.maximum(np.linalg.norm(b, axis=-1, keepdims=True), 1e-12)
    omega = np.arccos(np.clip(np.sum(unit_a * unit_b, axis=-1, keepdims=True), -1.0, 1.0))
    sin_omega = np.sin(omega)
    nearly_parallel = sin_omega < 1e-6
    safe = np.where(nearly_parallel, 1.0, sin_omega)
    arc = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / safe
    straight = (1.0 - t) * a + t * b
    return np.where(nearly_parallel, straight, arc).astype(np.float32)


def ease(t: np.ndarray, kind: str) -> np.ndarray:
    """``smooth`` slows into and out of each keyframe (smoothstep); ``linear`` keeps a constant pace."""
    if kind == "smooth":
        return t * t * (3.0 - 2.0 * t)
    return t


def frame_latents(
    keys: np.ndarray, frames: int, index: np.ndarray, interp: str = "slerp", easing: str = "linear"
) -> np.ndarray:
    """Latents of the frames numbered ``index`` in a looping walk of ``frames`` frames.

    ``keys`` is (walks, keyframes, dim); the result is (len(index), walks, dim).
    Positions are computed with integers so frame k*N/K lands exactly on keyframe k.
    """
    count = keys.shape[1]
    index = np.asarray(index, dtype=np.int64)
    segment = (index * count) // frames
    t = ease(((index * count) % frames) / frames, easing)
    return _between(keys, segment, t, interp)


def phase_latents(
    keys: np.ndarray, phase: np.ndarray, interp: str = "slerp", easing: str = "linear"
) -> np.ndarray:
    """Latents at each ``phase`` in [0, 1) of the loop through ``keys``: (len(phase), walks, dim).

    Phase ``k/K`` is keyframe ``k`` and phase 1 would be keyframe 0 again, as frame ``f`` of a plain
    walk of ``N`` frames is phase ``f/N``; a re-timed walk (:mod:`artgen.walk.rhythm`) picks its own.
    """
    position = np.asarray(phase, dtype=np.float64) * keys.shape[1]
    segment = np.floor(position).astype(np.int64)
    return _between(keys, segment, ease(position - segment, easing), interp)


def _between(keys: np.ndarray, segment: np.ndarray, t: np.ndarray, interp: str) -> np.ndarray:
    """For each frame, ``t`` of the way from keyframe ``segment`` to the next, looping past the last."""
    walks, count, dim = keys.shape
    a = keys[:, segment % count]  # (walks, n, dim)
    b = keys[:, (segment + 1) % count]
    mix = slerp if interp == "slerp" else lerp
    flat_t = np.tile(t, walks)
    out = mix(a.reshape(-1, dim), b.reshape(-1, dim), flat_t).reshape(walks, len(segment), dim)
    return np.ascontiguousarray(out.transpose(1, 0, 2), dtype=np.float32)
