"""Screens of the studio, one module each."""
