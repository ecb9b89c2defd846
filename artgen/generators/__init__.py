"""A trained generator's life outside training: find it, load it, draw latents, generate, sample.

Beneath everything that uses a generator: the DCGAN trainer (its checkpoints
are found by ``locate``), ``artgen sample`` and the sample job (one path,
:mod:`~artgen.generators.output`), walks and the quality
evaluation. It imports none of them; it reads the DCGAN's checkpoint format
and rebuilds its architecture to load a run that has not finished.

``locate`` and ``output`` need no Keras at import (the CLI and the studio
resolve paths and refuse bad outputs with them); ``sampling`` loads Keras and
is imported on first use.
"""

from __future__ import annotations

from artgen.generators.locate import DEFAULT_GENERATOR, WHICH, describe, resolve_model
from artgen.lazy import lazy_attributes

__all__ = [
    "DEFAULT_GENERATOR",
    "WHICH",
    "describe",
    "resolve_model",
    "load_generator",
    "latent_dim",
    "latents",
    "generate",
    "sample",
    "plan_samples",
    "write_samples",
]

_LAZY = {
    name: "artgen.generators.sampling"
    for name in ("load_generator", "latent_dim", "latents", "generate", "sample")
} | {"plan_samples": "artgen.generators.output", "write_samples": "artgen.generators.output"}

__getattr__ = lazy_attributes(__name__, _LAZY)
