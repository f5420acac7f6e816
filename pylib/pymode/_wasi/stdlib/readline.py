"""readline on python.wasm: a Worker has no interactive terminal to edit lines in."""
from pymode._wasi import unavailable_attributes

__getattr__ = unavailable_attributes("readline", "a Worker has no interactive terminal")
