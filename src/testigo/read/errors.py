"""The one exception `read` raises."""


class UnusableInput(Exception):
    """The file cannot be read as an image at all; str() is the one-line reason.

    Every kind of bad input (empty, truncated, not an image, too large,
    corrupt or encrypted PDF) ends here, so a caller needs exactly one
    ``except`` to turn any file into either a reading or a reason.
    """
