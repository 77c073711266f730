"""How a submitted file is named in anything that may be published."""

from __future__ import annotations

from pathlib import PurePosixPath


def file_label(display_path: str) -> str:
    """The file's own name, without folders (for a zip entry, the entry's name).

    The folders a coordinator or witness keeps files in can identify them, so
    reasons and log entries, which end up in public bundles, name files by
    this label only.
    """
    return PurePosixPath(display_path.replace("\\", "/").split("!")[-1]).name
