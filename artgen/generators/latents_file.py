"""Latents files: points in a generator's latent space, kept with the generator they belong to.

``artgen project`` writes the latents it found for pictures, ``artgen walk
--save-latents`` the keyframes a walk visited; ``artgen walk --keyframes``
and ``artgen sample --latents`` read them back. A latent means something
only to the generator it was found in, so the file names that generator by
the SHA-256 of its file (with its latent length), and is refused with any
other: a walk never silently shows another model's pictures.

An ``.npz`` of plain arrays (read with ``allow_pickle=False``), so a file
from anyone can be read safely: ``latents`` (N, latent_dim) float32,
``names`` (N,) text saying where each came from, ``generator`` and
``generator_name`` (its hash and file name, text) and ``latent_dim``.
Nothing here needs Keras: a command checks a file before its backend loads.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from artgen import files, runs
from artgen.errors import InputError, os_error_reason

__all__ = ["FORMAT", "Latents", "identity", "read_latents", "write_latents"]

FORMAT = "artgen latents 1"  # the file's ``format`` entry: what tells an artgen file from any .npz
_KEYS = ("format", "latents", "names", "generator", "generator_name", "latent_dim")
MAX_LATENTS = 100_000
_NOT_LATENTS = "{}: not an artgen latents file (an .npz written by artgen project or walk --save-latents)"
_CHUNK = 1 << 20
_hashes: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> digest, for this process


@dataclass(frozen=True)
class Latents:
    """What a latents file holds, checked."""

    latents: np.ndarray  # (N, latent_dim) float32
    names: tuple[str, ...]  # where each latent came from: a picture's name, a walk's keyframe
    generator: str  # SHA-256 of the generator file they were found in
    generator_name: str  # that file's name, for messages


def identity(model: str | os.PathLike[str]) -> str:
    """The SHA-256 of generator file ``model``: the same weights file, the same identity."""
    path = Path(model)
    try:
        stat = files.regular_file(path).stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        if key not in _hashes:
            digest = hashlib.sha256()
            with files.open_regular(path) as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            _hashes[key] = digest.hexdigest()
    except OSError as exc:
        raise InputError(f"cannot read model {path}: {os_error_reason(exc)[1]}") from None
    return _hashes[key]


def write_latents(
    path: str | os.PathLike[str], latents: np.ndarray, model: str | os.PathLike[str], names: Sequence[str]
) -> None:
    """Write ``latents`` (N, latent_dim) found in generator file ``model`` to ``path``, atomically."""
    latents = np.asarray(latents, np.float32)
    if latents.ndim != 2 or len(names) != len(latents):
        raise ValueError(f"{len(names)} names for latents of shape {latents.shape}")
    arrays = {
        "format": np.array(FORMAT),
        "latents": latents,
        "names": np.array(list(names), dtype=str).reshape(len(names)),
        "generator": np.array(identity(model)),
        "generator_name": np.array(Path(model).name),
        "latent_dim": np.array(latents.shape[1], np.int64),
    }
    with runs.atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as handle:
        np.savez(handle, allow_pickle=False, **arrays)  # plain arrays: readable without pickle


def read_latents(path: str | os.PathLike[str], model: str | os.PathLike[str], flag: str = "") -> Latents:
    """The latents in ``path``, refused (one line, :class:`InputError`) unless they are generator file
    ``model``'s: not there, not a latents file, damaged, of the wrong shape, or another generator's.

    ``flag`` (``--keyframes``) starts the message, naming what the file was given as.
    """
    path = Path(path)
    where = f"{flag} {path}" if flag else str(path)
    found = _arrays(path, where)
    latents, dim = found["latents"], found["latent_dim"]
    text = {key: found[key] for key in ("format", "generator", "generator_name")}
    if (
        any(value.dtype.kind != "U" or value.shape != () for value in text.values())
        or str(text["format"]) != FORMAT
    ):
        raise InputError(_NOT_LATENTS.format(where))
    if dim.shape != () or dim.dtype.kind not in "iu" or not 1 <= int(dim) <= 100_000:
        raise InputError(f"{where} is damaged: its latent_dim is not a length")
    if latents.dtype.kind != "f" or latents.ndim != 2 or latents.shape[1] != int(dim) or not len(latents):
        raise InputError(
            f"{where}: latents of shape {latents.shape}, where {int(dim)}-long rows were recorded; "
            "the file is damaged"
        )
    if len(latents) > MAX_LATENTS or not np.isfinite(latents).all():
        raise InputError(
            f"{where} is damaged: more than {MAX_LATENTS} latents, or values that are not numbers"
        )
    names = found["names"]
    if names.dtype.kind != "U" or names.shape != (len(latents),):
        raise InputError(f"{where} is damaged: its names do not match its {len(latents)} latents")
    generator, name = str(text["generator"]), str(text["generator_name"])
    if generator != identity(model):
        raise InputError(
            f"{where} was made with another generator ({name}, not {Path(model).name}); give the --model "
            "it was made with, or make it again with this one"
        )
    return Latents(latents.astype(np.float32), tuple(str(n) for n in names), generator, name)


def _arrays(path: Path, where: str) -> dict[str, np.ndarray]:
    """Every entry :data:`_KEYS` names, read without pickle; a file that is no such ``.npz`` is one line."""
    try:
        with files.open_regular(path) as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):  # a bare .npy array
                raise InputError(_NOT_LATENTS.format(where))
            with data:
                if not set(_KEYS) <= set(data.files):
                    raise InputError(_NOT_LATENTS.format(where))
                return {key: data[key] for key in _KEYS}
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{where}: {os_error_reason(exc)[1]}") from None
    except (ValueError, EOFError, zipfile.BadZipFile, KeyError):  # not numpy's at all, cut short, pickled
        raise InputError(_NOT_LATENTS.format(where)) from None
