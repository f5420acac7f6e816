"""fcntl on python.wasm: no file locks or descriptor control at the edge (files are an in-memory image)."""
from pymode._wasi import unavailable

LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW = range(8)
FD_CLOEXEC = 1
_REASON = "there are no file locks or descriptor flags to control in the Worker's in-memory file system"


def fcntl(fd, cmd, arg=0):
    raise unavailable("fcntl.fcntl", _REASON)


def ioctl(fd, request, arg=0, mutate_flag=True):
    raise unavailable("fcntl.ioctl", _REASON)


def flock(fd, operation):
    raise unavailable("fcntl.flock", _REASON)


def lockf(fd, cmd, len=0, start=0, whence=0):
    raise unavailable("fcntl.lockf", _REASON)
