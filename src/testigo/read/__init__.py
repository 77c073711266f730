"""Reading tally sheets: load any image or PDF, find and decode the QR codes on each page.

    reading = read_file(data, accept)   # raises UnusableInput with a one-line reason

`accept(text)` says which decoded texts are payloads; the others are returned
as foreign codes. See `strategies` for the decoding cascade.
"""

from testigo.read.decode import PageReading
from testigo.read.errors import UnusableInput
from testigo.read.reader import DEFAULT_MAX_PIXELS, FileReading, read_file
from testigo.read.sniff import sniff

__all__ = ["DEFAULT_MAX_PIXELS", "FileReading", "PageReading", "UnusableInput", "read_file", "sniff"]
