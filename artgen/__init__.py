"""artgen: generative art and style transfer from the terminal.

Importing ``artgen`` is cheap: engines (and with them Keras and TensorFlow)
load only when a command or job needs them.
"""

import os as _os

# TensorFlow's C++ start-up chatter would interleave with artgen's progress
# display; users who want it can still set the variable themselves.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Take GPU memory as needed rather than all of it up front, under either backend,
# so a job leaves room for the next one and an out-of-memory error names the job.
_os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
_os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

__version__ = "0.1.0"
__all__ = ["__version__"]
