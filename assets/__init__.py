"""Bundled files (default generator, VGG16 weights, sample photos, styles), installed as artgen.bundled."""
