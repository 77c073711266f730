"""The one exception `read` raises."""

from testigo.errors import TestigoError


class UnusableInput(TestigoError):
    """The file cannot be read as an image at all; str() is the one-line reason.

    Every kind of bad input (empty, truncated, not an image, too large,
    corrupt or encrypted PDF) ends here, so a caller needs exactly one
    ``except`` to turn any file into either a reading or a reason.
    """
