"""Widgets of the studio, one module each."""
