"""The "file list" check: files.sha256 names every other file of the bundle with its SHA-256.

A mirror trusts the list to decide what to fetch, and a reader may check a
copy with ``sha256sum -c``; so the list must match the files exactly. A
bundle of a testigo before the list existed has none, and says so.
"""

from __future__ import annotations

from testigo.publish.filelist import list_files, parse_file_list
from testigo.publish.layout import FILE_LIST
from testigo.verify.bundle import Bundle, BundleError
from testigo.verify.report import VerifyReport


def check_file_list(report: VerifyReport, bundle: Bundle) -> None:
    if not (bundle.root / FILE_LIST).exists():
        report.add("file list", f"no {FILE_LIST}: a bundle of an older testigo", [])
        return
    try:
        listed = parse_file_list(bundle.read_bytes(FILE_LIST))
    except (BundleError, ValueError) as error:
        report.add("file list", f"{FILE_LIST} lists every file with its SHA-256", [str(error)])
        return
    found = list_files(bundle.root)
    problems = [f"{FILE_LIST} lists {name}, which is not in the bundle" for name in sorted(listed.keys() - found)]
    problems += [f"{name} is not listed in {FILE_LIST}" for name in sorted(found.keys() - listed)]
    problems += [
        f"{name} does not hash to the SHA-256 {FILE_LIST} lists"
        for name in sorted(listed.keys() & found)
        if listed[name] != found[name]
    ]
    report.add("file list", f"{FILE_LIST} lists the {len(found)} other files with their SHA-256", problems)
