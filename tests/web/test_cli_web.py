"""The `testigo user` and `testigo serve` commands: how the first admin gets in."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from testigo.cli import app
from testigo.store.workspace import Store
from testigo.web import accounts
from tests.web.conftest import PASSWORD


def test_the_first_admin_is_invited_listed_and_revoked_from_the_command_line(web_store: Store) -> None:
    runner = CliRunner()
    workspace = ["--workspace", str(web_store.workspace.root)]
    invited = runner.invoke(
        app, ["user", "invite", "--role", "admin", "--base-url", "https://actas.example", "--json", *workspace]
    )
    assert invited.exit_code == 0, invited.output
    url = json.loads(invited.stdout)["url"]
    assert url.startswith("https://actas.example/invite/")
    accounts.accept_invitation(web_store, url.rsplit("/", 1)[1], "first-admin", PASSWORD)
    listed = json.loads(runner.invoke(app, ["user", "list", "--json", *workspace]).stdout)["users"]
    assert [(u["username"], u["role"], u["revoked"]) for u in listed] == [("first-admin", "admin", False)]
    assert runner.invoke(app, ["user", "revoke", "first-admin", *workspace]).exit_code == 0
    assert accounts.authenticate(web_store, "first-admin", PASSWORD) is None
    assert "--decode-workers" in runner.invoke(app, ["serve", "--help"]).stdout
