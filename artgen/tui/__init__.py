"""The terminal studio: ``artgen`` with no arguments.

It drives :mod:`artgen.jobs` and never imports TensorFlow or Keras, so it
opens in well under a second; every engine runs in a child process.
"""
