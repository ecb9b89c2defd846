"""Which devices jobs can use, found without importing TensorFlow in the app.

``nvidia-smi`` answers in milliseconds where a TensorFlow probe costs a
multi-second import; each job's child also logs what TensorFlow itself sees
(see :mod:`artgen.jobs.device_tensorflow`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["Gpu", "DeviceInfo", "probe_devices", "use_device", "DEVICES"]

DEVICES = ("auto", "cpu", "gpu")


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_mb: int


@dataclass(frozen=True)
class DeviceInfo:
    gpus: tuple[Gpu, ...] = ()

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    def summary(self) -> str:
        if not self.gpus:
            return "CPU only (no GPU found)"
        return ", ".join(f"GPU {gpu.name} ({gpu.memory_mb / 1024:.0f} GiB)" for gpu in self.gpus)

    def resolve(self, device: str) -> str:
        """``auto`` becomes ``gpu`` when there is one, else ``cpu``."""
        if device == "auto":
            return "gpu" if self.gpus else "cpu"
        return device


def probe_devices(timeout: float = 3.0) -> DeviceInfo:
    """The NVIDIA GPUs ``nvidia-smi`` lists; CPU only when there is none or it fails."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return DeviceInfo()
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return DeviceInfo()
    gpus = []
    for line in out.strip().splitlines():
        name, _, memory = line.rpartition(",")
        try:
            gpus.append(Gpu(name.strip(), int(float(memory))))
        except ValueError:
            continue
    return DeviceInfo(tuple(gpus))


def use_device(device: str) -> None:
    """Point this process's engines at ``device``: call it before TensorFlow or JAX is imported.

    ``cpu`` hides the GPUs from both backends (``auto`` and ``gpu`` leave them visible;
    ``import artgen`` has already asked TensorFlow to grow GPU memory, not take it all).
    """
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
