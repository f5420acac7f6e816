"""resource on python.wasm: process limits are the platform's (128 MB, CPU time per request), not settable."""
from collections import namedtuple

from pymode._wasi import unavailable

error = OSError
RLIM_INFINITY = -1
(RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE,
 RLIMIT_MEMLOCK, RLIMIT_AS) = range(10)
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
struct_rusage = namedtuple("struct_rusage", "ru_utime ru_stime ru_maxrss ru_ixrss ru_idrss ru_isrss ru_minflt "
                           "ru_majflt ru_nswap ru_inblock ru_oublock ru_msgsnd ru_msgrcv ru_nsignals ru_nvcsw ru_nivcsw")
_REASON = "WASI has no resource limits or usage accounting; the Workers platform enforces its own"


def getrlimit(resource):
    raise unavailable("resource.getrlimit", _REASON)


def setrlimit(resource, limits):
    raise unavailable("resource.setrlimit", _REASON)


def prlimit(pid, resource, limits=None):
    raise unavailable("resource.prlimit", _REASON)


def getrusage(who):
    raise unavailable("resource.getrusage", _REASON)


def getpagesize():
    return 65536  # a WebAssembly page
