"""multiprocessing on python.wasm: a Worker has one process and no threads.

`import multiprocessing` works and `cpu_count()` answers 1; pools, processes and queues raise OSError(ENOSYS).
Fan work out with `pymode.parallel` instead (each task in its own Durable Object).
"""
from pymode._wasi import unavailable_attributes


def cpu_count():
    return 1


__getattr__ = unavailable_attributes("multiprocessing", "a Worker has one process; use pymode.parallel to fan out")
