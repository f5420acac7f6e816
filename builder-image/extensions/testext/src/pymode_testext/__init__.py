"""Test extension for the side-module linker (builder-image/tests/test_extensions.py)."""
