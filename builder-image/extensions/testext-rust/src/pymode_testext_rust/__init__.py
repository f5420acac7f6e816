"""In-tree PyO3 test extension (builder-image/extensions/testext-rust): the Python half of the package."""
from ._native import RUST, Counter, add, boom, apply, big_string, checked_div, lookup, monotonic_ns, say, sorted_unique, word_counts

__all__ = ["RUST", "Counter", "add", "boom", "apply", "big_string", "checked_div", "lookup", "monotonic_ns", "say", "sorted_unique",
           "word_counts"]
