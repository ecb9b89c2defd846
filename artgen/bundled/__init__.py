"""Bundled files: the default generator, VGG16 weights, sample photos and paintings."""
