"""`publish` and `verify`: the static, self-verifying bundle, written and checked.

`publish` exits 0 once the bundle is written; `verify` exits 0 only when every
check holds and 1 otherwise, printing each problem on a line of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from testigo.cli.console import JsonOpt, RichProgress, WorkspaceOpt, emit_json, err, out
from testigo.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("verify")(verify)
    app.command("mirror")(mirror)


def publish(
    out_dir: Annotated[Path, typer.Option("--out", help="Bundle folder: created, or updated in place.")],
    archive: Annotated[
        Path | None,
        typer.Option("--archive", help="Also write the bundle as this one file (a deterministic tar)."),
    ] = None,
    split_size: Annotated[
        str | None,
        typer.Option(
            "--split-size",
            metavar="SIZE",
            help="Also cut the archive into parts FILE.001... of SIZE (15M; K, M, G as for split -b), "
            "with FILE.parts.json listing each part's SHA-256.",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the static, self-verifying bundle: result pages, open data, acta images and the signed log."""
    from testigo.publish import publish as run_publish
    from testigo.publish.archive import parse_size, write_archive
    from testigo.store.workspace import open_workspace

    if split_size is not None and archive is None:
        raise UserError("--split-size cuts the archive: give --archive FILE too")
    part_size = parse_size(split_size) if split_size is not None else None
    report = run_publish(open_workspace(workspace), out_dir).to_json()
    written = write_archive(out_dir, archive, part_size) if archive is not None else None
    report["archive"] = written.to_json() if written else None
    if as_json:
        emit_json(report)
        return
    kinds = ", ".join(
        f"{kind} {counts['written']}/{counts['written'] + counts['unchanged']}"
        for kind, counts in report["files"].items()
    )
    out.print(f"published {report['mesas']:,} mesas, log of {report['tree_size']:,} entries, to {report['out']}")
    out.print(f"wrote {report['written']:,} files, {report['unchanged']:,} unchanged (written/total: {kinds})")
    for witness in report["witnesses"]:
        mark = "[green]cosigned[/]" if witness["cosigned"] else "[red]not cosigned[/]"
        out.print(f"witness {escape(witness['name'])}: {mark} ({escape(witness['detail'])})")
    listed = len(report["mirrors"])
    out.print(f"mirrors.txt: {listed} mirror{'s' * (listed != 1)} signed with the log key, shown on every page")
    if report["originals_with_location"]:
        out.print(
            f"warning: {len(report['originals_with_location']):,} published originals carry a GPS position in "
            "their metadata (where the photo was taken); their SHA-256 are in --json"
        )
    if written:
        out.print(
            f"archive {written.archive}: {written.files:,} files, {written.size:,} bytes, SHA-256 {written.sha256}"
        )
        for part in written.parts:
            out.print(f"  part {part.name}: {part.size:,} bytes, SHA-256 {part.sha256}")
        if written.manifest:
            out.print(f"  parts listed in {written.manifest}: send it with them")


def verify(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="Folder of a published bundle, or its archive (the file, its first part or FILE.parts.json)."
        ),
    ],
    checkpoint: Annotated[
        Path | None, typer.Option("--checkpoint", help="A signed checkpoint kept from before: the log must extend it.")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key, as text or a file, obtained independently [default: log/key.pub]"),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="A witness's verifier key (text or file) whose cosignature counts; repeatable."),
    ] = None,
    min_witnesses: Annotated[
        int | None,
        typer.Option(min=0, help="Cosignatures required from the --witness keys [default: 1 with --witness]"),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Decoding processes [default: all cores]")] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Decode only this many images, drawn at random by this run (every image is still hashed and "
            "everything else checked): a quick check of a large bundle [default: decode all]",
        ),
    ] = None,
    bu_keys: Annotated[
        Path | None,
        typer.Option(
            "--bu-keys",
            help="A folder of TSE public keys trusted beside the shipped ones, as testigo keys add keeps them (a "
            "workspace's trusted-keys/): boletins they signed are checked on their signature too.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute everything in a bundle from its images and signed log; exit 1 on any problem."""
    from testigo.verify import verify_bundle

    old = None
    if checkpoint is not None:
        try:
            old = checkpoint.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UserError(f"cannot read the checkpoint {checkpoint}: {error}") from None
    if bu_keys is not None and not bu_keys.is_dir():
        raise UserError(f"--bu-keys {bu_keys} is not a folder")
    with RichProgress(enabled=err.is_terminal) as progress:
        report = verify_bundle(
            bundle,
            key=key,
            old_checkpoint=old,
            witnesses=witness or (),
            min_witnesses=min_witnesses,
            workers=workers,
            sample=sample,
            bu_keys=bu_keys,
            progress=progress,
        )
    if as_json:
        emit_json(report.to_json())
    else:
        for check in report.checks:
            mark = "[green]ok[/]" if check.ok else "[red]FAILED[/]"
            out.print(f"{mark} {escape(check.check)}: [dim]{escape(check.detail)}[/]")
        for problem in report.problems:
            out.print(problem, markup=False)
        verified = "bundle verified" + (
            f" ({report.not_decoded} images not decoded: a sample)" if report.not_decoded else ""
        )
        out.print(f"[green]{verified}[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]")
    if not report.ok:
        raise typer.Exit(1)


def mirror(
    source: Annotated[
        str, typer.Argument(help="The bundle to copy: its folder, its archive (or a part), or its http(s) address.")
    ],
    dest: Annotated[Path, typer.Argument(help="The copy kept: created, or brought in step.")],
    key: Annotated[
        str | None,
        typer.Option(help="The log's verifier key, as text or a file [default: the copy's, or the source's own]"),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Decoding processes [default: all cores]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy a bundle, or bring a copy in step: fetch what changed, verify, swap; exit 1 if refused."""
    from testigo.api.mirror import MirrorRefused
    from testigo.api.mirror import mirror as run_mirror

    try:
        report = run_mirror(source, dest, key=key, workers=workers)
    except MirrorRefused as refused:
        if as_json:
            emit_json({"source": source, "dest": str(dest), "outcome": "refused", "reason": str(refused)})
        else:
            out.print(f"[red]refused[/]: {escape(str(refused))}")
        raise typer.Exit(1) from None
    if as_json:
        emit_json(report.to_json())
        return
    out.print(f"{report.outcome}: {report.dest} holds the log of {report.tree_size} entries")
    out.print(
        f"fetched {report.files_fetched:,} files ({report.bytes_transferred:,} bytes), "
        f"kept {report.files_kept:,}, in {report.elapsed_s:.1f} s"
    )
