"""`python -m pymode.cli ...` is the `pymode` command."""

from .main import entry_point

entry_point()
