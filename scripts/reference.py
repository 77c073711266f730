"""Write the command-line reference: docs/cli.md (every command and option) and docs/json.md (every --json shape).

    python3 scripts/reference.py            # rewrite both files
    python3 scripts/reference.py --check    # exit 1 if either differs from what the code gives

docs/cli.md is read off the Typer app itself. docs/json.md is read off real
runs: a small election (a few rendered actas, 300 real 2024 rows imported as
citizen results, a manipulated copy imported as official) goes through every
reporting command with --json, and each output is reduced to its shape: keys,
and the types their values took in the run (``str | null`` where both were
seen). Maps keyed by data (candidates, statuses) show one placeholder key. The
test suite runs the check, so neither file can drift from the code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from testigo.cli import app
from testigo.simulate.boletim import draw_boletim, draw_election, public_key_bytes, qr_texts

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "cli.md"
JSON_DOC = ROOT / "docs" / "json.md"
DATA = ROOT.parent / "shared" / "data" / "ve2024"
ROWS = 300

#: Keys whose object is a map keyed by data, and the placeholder that names its keys.
MAPS = {
    "candidate_names": "<candidate>",
    "candidates": "<candidate>",
    "shares": "<candidate>",
    "votes": "<candidate or null>",
    "difference": "<candidate>",
    "official": "<candidate>",
    "estimate": "<name>",
    "by_type": "<manipulation>",
    "parishes_by_level": "<level>",
    "national_effect": "<candidate>",
    "margins": "<candidate>",
    "counted": "<candidate>",
    "scenarios": "<candidate>",
    "evidence": "<source>",
}
#: Maps that only some commands key by data (elsewhere the same key has fixed fields).
COMMAND_MAPS = {
    "status": {"items": "<status>", "records": "<status>"},
    "compare": {"verified": "<candidate>"},
    "publish": {"files": "<kind>"},
    "bu": {"candidates": "<candidate number>"},
    "read": {"figures": "<field>", "scores": "<field>", "quads": "<field>"},
}


# --- docs/cli.md ------------------------------------------------------------------------------


def cli_reference() -> str:
    """Every command, in the order `testigo --help` lists them, with its arguments and options."""
    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the program by `python3 scripts/reference.py`; the tests fail if it is out of date.",
        "Every reporting command's `--json` output is described in [json.md](json.md).",
        "",
    ]
    for path, command in _commands(root, ("testigo",)):
        lines += [f"## `{' '.join(path)}`", "", _clean(command.help or ""), ""]
        params = [p for p in command.params if p.name != "help"]
        if params:
            lines += ["| argument or option | what it is | default |", "| --- | --- | --- |"]
            lines += [_param_row(p) for p in params]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _commands(group: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command under `group` with its path (Typer's commands are Click's, possibly vendored)."""
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from _commands(command, (*path, name))
    else:
        yield path, group


def _param_row(param: Any) -> str:
    if param.param_type_name == "option":
        names = ", ".join(f"`{o}`" for o in param.opts)
        text = _clean(param.help or "")
        if param.envvar:
            text += f" (environment: `{param.envvar}`)"
        default = "" if param.default in (None, False, "", ()) or param.is_flag else f"`{param.default}`"
    else:
        names = f"`{(param.metavar or param.name or '').upper()}`" + ("..." if param.nargs == -1 else "")
        text, default = _clean(getattr(param, "help", "") or ""), ""
    escaped = text.replace("|", "\\|")
    return f"| {names} | {escaped} | {default} |"


def _clean(text: str) -> str:
    return " ".join(text.split())


# --- docs/json.md -----------------------------------------------------------------------------


#: The demo as tests/test_cli.py runs it (with ``--dir``): that test checks the demo's section of docs/json.md
#: from its own run, so the reference test need not run the demo a second time.
DEMO = ("demo", "--mesas", "12", "--seed", "7", "--workers", "1")
DEMO_TITLE = "testigo demo"


def json_reference() -> str:
    """The shape of every --json output, from runs on a small election made for the purpose, the demo's last."""
    with tempfile.TemporaryDirectory() as folder:
        demo = _run(DEMO_TITLE, *DEMO, "--dir", folder)
    return json_document([*command_runs(), demo])


def json_document(runs: Iterable[tuple[str, Any]]) -> str:
    """docs/json.md for `runs`: (command as documented, its parsed --json output), in order."""
    lines = [
        "# JSON output of every command",
        "",
        "Generated by `python3 scripts/reference.py` from real runs; the tests fail if it is out of date.",
        "Each command with `--json` prints one JSON document on stdout. Shown here: its keys, and the types",
        "their values took (`str | null`: both occur). A key in angle brackets stands for data",
        "(a candidate's key, an outcome, a level). Lists show the shape of their items.",
        "",
    ]
    for title, output in runs:
        lines += [json_section(title, output), ""]
    return "\n".join(lines).rstrip() + "\n"


def json_section(title: str, output: Any) -> str:
    """One command's section of docs/json.md: its title and the shape of its output."""
    command = title.split()[1]
    maps = {**MAPS, **COMMAND_MAPS.get(command, {})}
    body = json.dumps(_render(_shape(output, None, maps)), indent=2, ensure_ascii=False)
    return "\n".join([f"## `{title} --json`", "", "```json", body, "```"])


def _run(title: str, *args: str) -> tuple[str, Any]:
    """(title, parsed --json output) of the command `args`; stops the script when the command failed."""
    result = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"{title}: exit {result.exit_code}: {result.output[-2000:]}")
    return title, json.loads(result.stdout)


def command_runs() -> Iterator[tuple[str, Any]]:
    """(command as documented, parsed --json output) for every reporting command but the demo (`DEMO`)."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        ws = ["--workspace", str(tmp / "ws")]
        resultados = _excerpt("resultados_2024_csv_v1.csv", tmp / "resultados.csv")
        yield _run("testigo init", "init", *ws)
        sim = ["--mesas", "3", "--quality", "scan", "--bad-files", "--forgeries", "1", "--out", str(tmp / "sim")]
        yield _run("testigo simulate", "simulate", *sim)
        yield _run("testigo ingest PATH", "ingest", str(tmp / "sim" / "actas"), "--workers", "1", *ws)
        yield _run("testigo read PATH", "read", str(tmp / "sim" / "actas"))
        with resultados.open("a", encoding="utf-8") as table:  # two rows that fail: an unknown mesa, a bad count
            table.write("1,X,1,X,1,X,999999999,1,100,10,0,5,5,0,0,0,0,0,0,0,0,\n")
            table.write("1,X,1,X,1,X,10113042,2,100,10,0,-5,5,0,0,0,0,0,0,0,0,\n")
        yield _run("testigo import FILE", "import", str(resultados), *ws)
        injected = _run(
            "testigo simulate --inject SPEC FILE",
            "simulate",
            "--inject",
            "stuffing:0.05:0.15,copy:0.02",
            str(resultados),
            "--out",
            str(tmp / "inj"),
            *ws,
        )
        yield injected
        official = injected[1]["table"]
        yield _run("testigo import FILE --source official", "import", official, "--source", "official", *ws)
        yield _run("testigo status", "status", *ws)
        yield _run("testigo items", "items", *ws)
        yield _run("testigo tally", "tally", *ws)
        yield _run("testigo tally --level mesa", "tally", "--level", "mesa", *ws)
        yield _run("testigo tally --project", "tally", "--project", *ws)
        yield _run("testigo forensics", "forensics", *ws)
        yield _run("testigo compare", "compare", *ws)
        yield _run("testigo log show", "log", "show", "--limit", "3", *ws)
        yield _run("testigo log proof SEQ", "log", "proof", "0", *ws)
        yield _run("testigo log proof --old N", "log", "proof", "--old", "1", *ws)
        yield _run("testigo log checkpoint", "log", "checkpoint", *ws)
        yield _run("testigo key export", "key", "export", *ws)
        boletins, key_file = _boletins(tmp / "boletins")
        yield _run("testigo bu check PATH", "bu", "check", *boletins, *ws)
        br = ["--workspace", str(tmp / "br")]
        _run("testigo init --profile br", "init", "--profile", "br", *br)
        _run("testigo ingest PATH", "ingest", *boletins, "--workers", "1", *br)  # the shape of any ingest
        # the simulated BU was counted without its key: adding the key judges it again
        yield _run("testigo keys add FILE", "keys", "add", str(key_file), *br)
        yield _run("testigo keys list", "keys", "list", *br)
        yield _run("testigo registry import FILE", "registry", "import", str(_sections(tmp / "secoes.csv")), *br)
        contests = _run("testigo contests", "contests", *br)
        yield contests
        mayor = contests[1]["contests"][0]["key"]
        yield _run("testigo tally --contest KEY", "tally", "--contest", mayor, "--level", "state", *br)
        witness = _run(
            "testigo witness key", "witness", "key", "--key", str(tmp / "w.key"), "--name", "witness.example/w1"
        )
        yield witness
        # nothing listens on port 9 of the loopback: publish reports the witness as unreachable, and goes on
        yield _run(
            "testigo witness add URL VKEY", "witness", "add", "http://127.0.0.1:9", witness[1]["verifier_key"], *ws
        )
        yield _run("testigo witness list", "witness", "list", *ws)
        planned = _run("testigo audit plan", "audit", "plan", "--seed", "20261203202612032026", *ws)
        yield planned
        [row] = [
            m
            for m in json.loads((tmp / "ws" / "audit" / "plan.json").read_bytes())["mesas"]
            if m["mesa"] == planned[1]["next_mesas"][0]
        ]
        paper = [row["counts"][0] + 1, *row["counts"][1:], row["null_votes"]]  # a one-vote discrepancy
        figures = ",".join(map(str, paper))
        yield _run("testigo audit record MESA", "audit", "record", row["mesa"], "--figures", figures, *ws)
        yield _run("testigo audit status", "audit", "status", *ws)
        web = ["https://resultados.example.org/", "--note", "sitio oficial"]
        yield _run("testigo mirrors add ADDRESS", "mirrors", "add", *web, *ws)
        _run("testigo mirrors add ADDRESS", "mirrors", "add", "resultados.tar", *ws)
        yield _run("testigo mirrors remove ADDRESS", "mirrors", "remove", "resultados.tar", *ws)
        yield _run("testigo mirrors list", "mirrors", "list", *ws)
        archive = ["--archive", str(tmp / "bundle.tar"), "--split-size", "256K"]
        yield _run("testigo publish", "publish", "--out", str(tmp / "bundle"), *archive, *ws)
        yield _run("testigo verify DIR", "verify", str(tmp / "bundle"), "--workers", "1")
        yield _run("testigo mirror", "mirror", str(tmp / "bundle"), str(tmp / "mirror"), "--workers", "1")
        yield _run("testigo user invite", "user", "invite", "--role", "admin", *ws)
        yield _run("testigo user list", "user", "list", *ws)


def _boletins(folder: Path) -> tuple[list[str], Path]:
    """The real BUs of the shared data, a simulated BU whose key the workspace lacks, its first part alone
    (incomplete) and a code altered (refused); and that key's file, named as the TSE publishes its keys."""
    folder.mkdir()
    election = draw_election(1, 4, ufs=("AC",))
    bu = draw_boletim(election, 0)
    parts = qr_texts(election, bu, limit=len(bu.content) // 2 + 1)
    (folder / "first-part.txt").write_text(parts[0] + "\n", encoding="ascii")
    (folder / "altered.txt").write_text(parts[0].replace("APTO:", "APTO:1", 1) + "\n", encoding="ascii")
    other = draw_boletim(election, 1)
    (folder / "unverified.txt").write_text("\n".join(qr_texts(election, other)) + "\n", encoding="ascii")
    key_file = folder.parent / election.key_name(other.section.uf)
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(public_key_bytes(election.signing_key(other.section.uf)))
    return [str(DATA.parent / "br" / "vectors"), str(folder)], key_file


def _sections(path: Path) -> Path:
    """A table of sections as the TSE writes it (eleitorado_local_votacao): two sections and a bad row."""
    election = draw_election(1, 4, ufs=("AC",))
    rows = ["SG_UF;CD_MUNICIPIO;NM_MUNICIPIO;NR_ZONA;NR_SECAO;NR_LOCAL_VOTACAO;NM_LOCAL_VOTACAO;QT_ELEITOR_SECAO"]
    for index in (1, 2):
        bu = draw_boletim(election, index)
        codes = [bu.field(key) for key in ("UNFE", "MUNI", "ZONA", "SECA", "LOCA")]
        rows.append(";".join([*codes[:2], "RIO BRANCO", *codes[2:], "ESCOLA ESTADUAL", str(bu.eligible)]))
    rows.append("AC;1392;RIO BRANCO;x;1;1;ESCOLA;100")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _excerpt(name: str, out: Path) -> Path:
    with (DATA / name).open("rb") as handle:
        out.write_bytes(b"".join(handle.readline() for _ in range(ROWS + 1)))
    return out


def _shape(value: Any, key: str | None, maps: dict[str, str]) -> Any:
    """The value's shape: dicts keep their keys, lists merge their items, scalars become sets of type names."""
    if isinstance(value, dict):
        if key in maps:
            merged: Any = None
            for item in value.values():
                merged = _merge(merged, _shape(item, None, maps))
            return {maps[key]: merged} if value else {}
        return {k: _shape(v, k, maps) for k, v in value.items()}
    if isinstance(value, list):
        merged = None
        for item in value:
            merged = _merge(merged, _shape(item, key, maps))
        return [merged] if value else []
    return {_type_name(value)}


def _type_name(value: Any) -> str:
    return "null" if value is None else {bool: "bool", int: "int", float: "float", str: "str"}[type(value)]


def _merge(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a.get(k), b.get(k)) for k in {**a, **b}}
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0] if a else None, b[0] if b else None)] if a or b else []
    if isinstance(a, set) and isinstance(b, set):
        return a | b
    return a if b is None else b  # a scalar beside a container: keep the container's shape


def _render(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {k: _render(v) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_render(item) for item in shape]
    if isinstance(shape, set):
        order = ["bool", "int", "float", "str", "null"]
        return " | ".join(sorted(shape, key=order.index))
    return "null"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file differs from what the code gives")
    args = parser.parse_args()
    stale = []
    for path, text in ((CLI_DOC, cli_reference()), (JSON_DOC, json_reference())):
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(ROOT).as_posix())
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python3 scripts/reference.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
