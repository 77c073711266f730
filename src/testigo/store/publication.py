"""What `testigo publish` needs from the database beyond the log (SQL access only)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from testigo.store.schema import BlobRow, SubmissionRow

#: Largest number of hashes looked up in one query (well under SQLite's variable limit).
_CHUNK = 500


def media_types(session: Session, shas: Sequence[str]) -> dict[str, str | None]:
    """The sniffed media type of each stored blob, which names its file in a bundle."""
    found: dict[str, str | None] = {}
    for start in range(0, len(shas), _CHUNK):
        query = select(BlobRow.sha256, BlobRow.media_type).where(BlobRow.sha256.in_(shas[start : start + _CHUNK]))
        found.update({sha: media_type for sha, media_type in session.execute(query)})
    return found


def local_folders(session: Session) -> set[str]:
    """Every folder a submitted file came from, as given and as resolved, as it would appear in a path.

    A bundle must not reveal them (a folder name such as a witness's home or
    a center's name identifies who took the photos), so `publish` refuses to
    write anything that contains one. A one-word relative folder is only
    looked for followed by a slash (``actas/``), since the bare word may be an
    ordinary one (``conf`` in ``conflict``).
    """
    folders: set[str] = set()
    for display, origin in session.execute(select(SubmissionRow.display_path, SubmissionRow.origin).distinct()):
        for path in (display, origin.removeprefix("file:")):
            folder = PurePosixPath(path.replace("\\", "/").split("!")[0]).parent.as_posix()
            if folder not in (".", "/"):
                folders.add(folder if "/" in folder else folder + "/")
    return folders
