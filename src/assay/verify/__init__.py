"""Checks of candidate outputs against the reference, on raw bytes, in trusted code."""

from assay.verify._compare import Mismatch, compare, from_bytes, same_bytes

__all__ = ["Mismatch", "compare", "from_bytes", "same_bytes"]
