"""What an original file says about where it was taken, beyond its pixels.

Phone photos usually carry EXIF metadata, and its GPS block can place a
witness at home or at the polling station. testigo keeps and publishes
originals byte for byte (their hashes are what the log proves), so it cannot
strip that metadata after the fact; it can say which originals carry it, so a
coordinator decides before publishing.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from testigo.read import images as _images  # noqa: F401 - importing it registers the HEIF opener

#: The EXIF tag of the GPS block.
_GPS_IFD = 0x8825


def carries_location(data: bytes) -> bool:
    """Whether the image in `data` has a non-empty EXIF GPS block (False for anything unreadable)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:  # reads the header only, not the pixels
                return bool(image.getexif().get_ifd(_GPS_IFD))
    except Exception:  # noqa: BLE001 - a file the reader refused may not open here either
        return False
