"""Turning what a user points at (files, folders, zip archives) into incoming files."""

from testigo.capture.sources import MAX_FILE_BYTES, Incoming, iter_inputs, unsafe_name

__all__ = ["MAX_FILE_BYTES", "Incoming", "iter_inputs", "unsafe_name"]
