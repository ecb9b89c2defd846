"""Which GPUs jobs can use, and how busy each is, found without importing TensorFlow in the app.

Facts come from NVIDIA's management library (NVML) through its maintained
binding, ``nvidia-ml-py`` (imported as ``pynvml``): it answers in
microseconds, needs no parsing, and reports the memory other processes hold,
which is what placing a job needs. Without the binding or a driver, the answer
is "no GPU", never an error. Each job's child also logs what its backend sees
(see :mod:`artgen.jobs.device_tensorflow`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Gpu",
    "DeviceInfo",
    "DeviceProbe",
    "probe_devices",
    "parse_device",
    "visible_devices",
    "use_device",
    "DEVICES",
]

DEVICES = ("auto", "cpu", "gpu")  # and "gpu:N" for one GPU by its index
_ONE_GPU = re.compile(r"gpu:(\d+)")

DeviceProbe = Callable[[], "DeviceInfo"]


@dataclass(frozen=True)
class Gpu:
    """One GPU as NVML sees it now: ``index`` is NVML's (PCI bus order), ``uuid`` names it to CUDA."""

    name: str
    memory_mb: int
    index: int = 0
    uuid: str = ""
    used_mb: int = 0
    utilization: int | None = None  # percent of the last sample period the GPU was busy

    @property
    def free_mb(self) -> int:
        return max(0, self.memory_mb - self.used_mb)

    def describe(self) -> str:
        busy = f", {self.utilization}% busy" if self.utilization is not None else ""
        memory = f"{self.used_mb / 1024:.1f}/{self.memory_mb / 1024:.0f} GiB"
        return f"GPU {self.index} {self.name} ({memory}{busy})"


@dataclass(frozen=True)
class DeviceInfo:
    gpus: tuple[Gpu, ...] = ()

    def __post_init__(self) -> None:
        # A list written by hand (tests, a fake) may leave every index at 0: number them in order.
        if len({gpu.index for gpu in self.gpus}) < len(self.gpus):
            numbered = tuple(Gpu(**{**gpu.__dict__, "index": i}) for i, gpu in enumerate(self.gpus))
            object.__setattr__(self, "gpus", numbered)

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)

    def choices(self) -> tuple[str, ...]:
        """What a job's device may be set to here: ``auto``, ``cpu``, ``gpu`` and each ``gpu:N``."""
        return (*DEVICES, *(f"gpu:{gpu.index}" for gpu in self.gpus))

    def gpu(self, index: int) -> Gpu | None:
        return next((gpu for gpu in self.gpus if gpu.index == index), None)

    def summary(self) -> str:
        if not self.gpus:
            return "CPU only (no GPU found)"
        return ", ".join(f"GPU {gpu.name} ({gpu.memory_mb / 1024:.0f} GiB)" for gpu in self.gpus)

    def resolve(self, device: str) -> str:
        """``auto`` becomes ``gpu`` when there is one, else ``cpu``."""
        if device == "auto":
            return "gpu" if self.gpus else "cpu"
        return device

    def check(self, device: str) -> None:
        """Raise :class:`InputError` unless ``device`` names something jobs can run on here."""
        from artgen.errors import InputError

        index = parse_device(device)
        if device == "gpu" and not self.gpus:
            raise InputError("--device gpu was asked for, but no GPU was found; use --device cpu or auto")
        if index is not None and self.gpu(index) is None:
            have = ", ".join(f"gpu:{gpu.index}" for gpu in self.gpus) or "none"
            raise InputError(f"--device {device}: there is no GPU {index} (GPUs here: {have})")

    def pick(self, busy: set[int]) -> Gpu | None:
        """The GPU no job holds with the most free memory (other programs' use counts), or None."""
        free = [gpu for gpu in self.gpus if gpu.index not in busy]
        return max(free, key=lambda gpu: (gpu.free_mb, -gpu.index), default=None)


def parse_device(device: str) -> int | None:
    """The GPU index in ``gpu:N``; None for ``auto``, ``cpu`` and ``gpu``.

    Raises :class:`InputError` for anything else, so a form or a flag gets one clear line.
    """
    if device in DEVICES:
        return None
    if match := _ONE_GPU.fullmatch(device):
        return int(match.group(1))
    from artgen.errors import InputError

    raise InputError(f"--device must be auto, cpu, gpu or gpu:N (a GPU's index), not {device!r}")


def probe_devices() -> DeviceInfo:
    """Every NVIDIA GPU with its memory and utilisation now; none without the binding or a driver."""
    try:
        import pynvml
    except ImportError:
        return DeviceInfo()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver, no GPU, or a container without the library
        return DeviceInfo()
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                utilization: int | None = int(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except pynvml.NVMLError:  # some GPUs (MIG slices) do not sample it
                utilization = None
            gpus.append(
                Gpu(
                    name=_text(pynvml.nvmlDeviceGetName(handle)),
                    memory_mb=int(memory.total) // 2**20,
                    index=index,
                    uuid=_text(pynvml.nvmlDeviceGetUUID(handle)),
                    used_mb=int(memory.used) // 2**20,
                    utilization=utilization,
                )
            )
        return DeviceInfo(tuple(gpus))
    except pynvml.NVMLError:
        return DeviceInfo()
    finally:
        pynvml.nvmlShutdown()


def _text(value: str | bytes) -> str:
    """Older bindings answer bytes, newer ones str."""
    return value.decode() if isinstance(value, bytes) else value


def visible_devices(gpu: Gpu | None) -> str:
    """``CUDA_VISIBLE_DEVICES`` for a child that may see only ``gpu`` (None: no GPU at all).

    The UUID, where known, names the same GPU whatever order CUDA would number them in.
    """
    if gpu is None:
        return "-1"
    return gpu.uuid or str(gpu.index)


def use_device(device: str, visible: str | None = None) -> None:
    """Point this process's engines at ``device``: call it before TensorFlow or JAX is imported.

    ``cpu`` hides the GPUs from both backends; ``visible`` (a job's own GPU, from
    :func:`visible_devices`) shows only that one. Otherwise every GPU stays visible
    (``import artgen`` has already asked TensorFlow to grow GPU memory, not take it all).
    """
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    elif visible is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = visible
