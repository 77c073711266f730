"""`testigo keys` as a user runs it: JSON shapes, refusals in one line with exit code 2, the workspace's files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from testigo.config import Settings, Workspace

KEY_FIELDS = {"name", "public_key", "sha512", "origin", "source", "checked_against_official_list"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "testigo", *args], capture_output=True, text=True)


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    """A workspace as `testigo init` leaves it, as far as keys go: its settings file."""
    Workspace(tmp_path / "ws").save_settings(Settings())
    return str(tmp_path / "ws")


def _key_file(folder: Path, relative: str) -> tuple[Path, bytes]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path, raw


def test_add_names_the_key_from_its_tse_path_and_list_shows_it(tmp_path: Path, workspace: str) -> None:
    path, raw = _key_file(tmp_path / "download", "20260801/LEGAL/ospqrcode.pub")
    added = run_json("keys", "add", str(path), "--workspace", workspace)
    assert added["added"] is True and added["read_as"] == "raw" and set(added["key"]) == KEY_FIELDS
    assert added["key"]["name"] == "20260801/LEGAL/ospqrcode.pub" and added["key"]["public_key"] == raw.hex()
    assert added["key"]["origin"] == "workspace" and added["key"]["checked_against_official_list"] is False
    assert Path(added["key"]["source"]) == Path(workspace) / "trusted-keys" / "20260801" / "LEGAL" / "ospqrcode.pub"
    again = run_json("keys", "add", str(path), "--workspace", workspace)
    assert again["added"] is False and again["key"] == added["key"]
    listed = run_json("keys", "list", "--workspace", workspace)["keys"]
    assert len(listed) == 31 and all(set(key) == KEY_FIELDS for key in listed)
    assert added["key"] in listed
    assert sum(key["origin"] == "shipped" for key in listed) == 30
    human = run("keys", "add", str(path), "--workspace", workspace)
    assert human.returncode == 0 and "already trusted with this very key" in human.stdout


def test_add_takes_a_pem_key_under_a_given_name(tmp_path: Path, workspace: str) -> None:
    key = Ed25519PrivateKey.generate().public_key()
    pem = tmp_path / "chave.pem"
    pem.write_bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    added = run_json("keys", "add", str(pem), "--name", "20260801/COMUNITARIA/tzzqrcode.pub", "--workspace", workspace)
    assert added["read_as"] == "PEM" and added["key"]["public_key"] == key.public_bytes_raw().hex()
    stored = Path(workspace) / "trusted-keys" / "20260801" / "COMUNITARIA" / "tzzqrcode.pub"
    assert stored.read_bytes() == key.public_bytes_raw()


def _refused(workspace: str, *args: str) -> str:
    result = run("keys", "add", *args, "--workspace", workspace)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    return result.stderr.strip()


def test_refusals_are_one_line_with_exit_2(tmp_path: Path, workspace: str) -> None:
    tampered, _ = _key_file(tmp_path / "download", "20220829/LEGAL/ospqrcode.pub")
    assert "does not match the TSE's official SHA-512" in _refused(workspace, str(tampered))
    other, _ = _key_file(tmp_path, "chave.pub")
    assert _refused(workspace, str(other), "--name", "2016/LEGAL/ospqrcode.pub").startswith(
        f"testigo: {other} refused: a different key is already trusted as 2016/LEGAL/ospqrcode.pub (shipped"
    )
    assert _refused(workspace, str(other)) == (
        f"testigo: {other} is not named like a TSE key file: VRCH/LEGAL|COMUNITARIA/{{o|s|t}}{{uf}}qrcode.pub, "
        "e.g. 20220829/LEGAL/ospqrcode.pub; give the key's name with --name"
    )
    assert "is not a TSE key name" in _refused(workspace, str(other), "--name", "20220829/LEGAL/oxxqrcode.pub")
    (tmp_path / "notes.txt").write_text("not a key", encoding="utf-8")
    assert "not an Ed25519 public key" in _refused(
        workspace, str(tmp_path / "notes.txt"), "--name", "2016/LEGAL/oacqrcode.pub"
    )
    assert "cannot read" in _refused(workspace, str(tmp_path / "nowhere.pub"), "--name", "2016/LEGAL/oacqrcode.pub")
    assert not (Path(workspace) / "trusted-keys").exists()  # nothing refused was stored


def test_add_needs_a_workspace_and_list_does_not(tmp_path: Path) -> None:
    path, _ = _key_file(tmp_path, "20260801/LEGAL/sacqrcode.pub")
    missing = tmp_path / "nowhere"
    assert (
        _refused(str(missing), str(path)) == f"testigo: no workspace at {missing}: create it first with `testigo init`"
    )
    assert not missing.exists()
    assert len(run_json("keys", "list", "--workspace", str(missing))["keys"]) == 30


def test_the_help_tells_the_trusted_keys_from_the_checkpoint_key() -> None:
    keys_help = " ".join(run("keys", "--help").stdout.split())
    assert "Not the workspace's own checkpoint-signing key: that is `testigo key`" in keys_help
    key_help = " ".join(run("key", "--help").stdout.split())
    assert "see `testigo keys`" in key_help
