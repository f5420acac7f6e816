"""termios on python.wasm: a Worker has no terminal."""
import errno


class error(Exception):
    pass


TCSANOW, TCSADRAIN, TCSAFLUSH = 0, 1, 2
ECHO, ICANON, ISIG, IEXTEN = 0o10, 0o2, 0o1, 0o100000
VMIN, VTIME = 6, 5


def _no_terminal(name):
    def call(*args):
        raise error(errno.ENOTTY, f"termios.{name}: a Worker has no terminal (python.wasm at the edge)")

    call.__name__ = name
    return call


tcgetattr, tcsetattr, tcsendbreak, tcdrain, tcflush, tcflow, tcgetwinsize, tcsetwinsize = map(
    _no_terminal, ("tcgetattr", "tcsetattr", "tcsendbreak", "tcdrain", "tcflush", "tcflow", "tcgetwinsize",
                   "tcsetwinsize"))
