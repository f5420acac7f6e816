"""curses on python.wasm: a Worker has no terminal. `import curses` works; any use raises curses.error."""
import errno


class error(Exception):
    pass


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise error(errno.ENOTTY, f"curses.{name}: a Worker has no terminal (python.wasm at the edge)")
