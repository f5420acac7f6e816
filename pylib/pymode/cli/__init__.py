"""The `pymode` command line (installed by `pip install pymode`): see `pymode --help`.

Native-only: python.wasm never imports this package.
"""

from .errors import CliError
from .main import entry_point, main

__all__ = ["main", "entry_point", "CliError"]
