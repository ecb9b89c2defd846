"""The path a walk takes through latent space: keyframes, easing and interpolation.

Pure numpy, so the geometry is testable without a model. A path is a
function from a phase in [0, 1) to latents (:class:`KeyframePath`), built
from a list of keyframes: phase k/K is keyframe k, and phase 1 would be
keyframe 0 again. A walk of N frames shows phase n/N at frame n, so it
visits keyframe k at frame k*N/K and returns to keyframe 0 after frame N-1:
a player looping the frames sees no jump and no repeated frame. Whatever
times the frames differently (to music, say) asks the same path for other
phases.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lerp", "slerp", "ease", "KeyframePath"]

# A phase this close to a keyframe's (in keyframes) is that keyframe: frame k*N/K lands on keyframe
# k exactly, where (k*N/K)/N*K in floating point may miss it by a rounding error.
SNAP = 1e-9


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


class KeyframePath:
    """A loop through ``keys`` (walks, keyframes, dim), in order and back to the first: phase -> latents.

    ``interp`` joins neighbouring keyframes (``slerp`` or ``lerp``); ``easing``
    paces each stretch (``linear`` or ``smooth``). Every walk of a grid has its
    own keyframes and takes the same phase.
    """

    def __init__(self, keys: np.ndarray, interp: str = "slerp", easing: str = "linear") -> None:
        if keys.ndim != 3 or keys.shape[1] < 1:
            raise ValueError(f"keys must be (walks, keyframes, dim), not {keys.shape}")
        self.keys = np.asarray(keys, np.float32)
        self.interp, self.easing = interp, easing

    @property
    def count(self) -> int:
        """Keyframes per walk."""
        return self.keys.shape[1]

    def __call__(self, phase: np.ndarray) -> np.ndarray:
        """(len(phase), walks, dim) latents at ``phase``, each in [0, 1) (1 is 0 again)."""
        walks, count, dim = self.keys.shape
        position = np.asarray(phase, np.float64).reshape(-1) % 1.0 * count
        nearest = np.round(position)
        position = np.where(np.abs(position - nearest) < SNAP, nearest, position)
        segment = np.floor(position).astype(np.int64)
        t = ease(position - segment, self.easing)
        a = self.keys[:, segment % count]  # (walks, n, dim)
        b = self.keys[:, (segment + 1) % count]
        mix = slerp if self.interp == "slerp" else lerp
        flat_t = np.tile(t, walks)
        out = mix(a.reshape(-1, dim), b.reshape(-1, dim), flat_t).reshape(walks, len(position), dim)
        return np.ascontiguousarray(out.transpose(1, 0, 2), dtype=np.float32)
