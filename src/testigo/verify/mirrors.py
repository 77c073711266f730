"""The "mirrors" check: mirrors.txt is signed by the log's key, for the checkpoint the bundle shows.

Only the log's key can vouch for a copy, so a clone cannot add its own
address to the list (nor strike out the others) without the signature
failing. The pages show the list's entries; they are rendered from the file
whether or not its signature holds, and a list that fails is a problem of its
own. A bundle of a testigo before the list existed has none, and says so.
"""

from __future__ import annotations

from testigo.ledger import LedgerError, parse_note
from testigo.publish.layout import MIRRORS
from testigo.publish.mirrors import Mirror, MirrorList, MirrorListError, verify_mirror_list
from testigo.verify.bundle import Bundle, BundleError
from testigo.verify.log import CheckedLog
from testigo.verify.report import VerifyReport


def check_mirror_list(report: VerifyReport, bundle: Bundle, log: CheckedLog) -> None:
    if not (bundle.root / MIRRORS).exists():
        report.add("mirrors", f"no {MIRRORS}: a bundle of an older testigo", [])
        return
    what = f"{MIRRORS}: the mirrors the log key vouches for"
    try:
        found = verify_mirror_list(bundle.read_bytes(MIRRORS), log.key)
    except (BundleError, LedgerError, MirrorListError) as error:
        report.add("mirrors", what, [f"{MIRRORS}: {error}"])
        return
    problems = []
    if found.size != log.head.size:
        problems.append(
            f"{MIRRORS} was signed for the checkpoint of size {found.size}, the bundle's is {log.head.size}"
        )
    count = len(found.mirrors)
    detail = (
        f"{MIRRORS}: {count} mirror{'s' * (count != 1)} signed by {log.key.name}+{log.key.key_id:08x} "
        f"for the checkpoint of size {found.size}, on {found.published.strftime('%Y-%m-%d %H:%M UTC')}"
    )
    report.add("mirrors", detail, problems)


def listed_mirrors(bundle: Bundle) -> tuple[Mirror, ...]:
    """What mirrors.txt lists, signature unchecked (pages must show what the file says); none if unreadable."""
    try:
        return MirrorList.parse(parse_note(bundle.read_bytes(MIRRORS)).text).mirrors
    except (BundleError, LedgerError, MirrorListError):
        return ()
