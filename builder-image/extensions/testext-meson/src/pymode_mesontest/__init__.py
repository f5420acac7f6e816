"""In-tree meson test package (not shipped)."""
from ._c import add, greeting, probes
from ._cxx import sorted_words
