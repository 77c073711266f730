"""Every setting is declared once and documented: precedence flag > environment > file > default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testigo.config import WebSettings, Workspace, resolve, settings_table
from testigo.errors import UserError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_lists_every_setting_as_declared() -> None:
    """The README holds the generated table verbatim: a new or changed setting fails until it is documented."""
    assert settings_table() in README.read_text(encoding="utf-8"), "regenerate with testigo.config.settings_table()"


def test_a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace(tmp_path)
    tmp_path.joinpath("testigo.json").write_text(
        json.dumps({"profile": "ve2024", "web": {"session_days": 3, "public_max_age": 30, "settle_wait_seconds": 2}})
    )
    monkeypatch.setenv("TESTIGO_WEB_PUBLIC_MAX_AGE", "60")
    monkeypatch.setenv("TESTIGO_WEB_SESSION_DAYS", "5")
    monkeypatch.setenv("TESTIGO_WEB_SECURE_COOKIES", "yes")
    settings = workspace.web_settings({"session_days": 9, "public_max_age": None})
    assert settings.session_days == 9  # flag
    assert settings.public_max_age == 60  # environment
    assert settings.secure_cookies is True  # environment, parsed as a boolean
    assert settings.settle_wait_seconds == 2.0  # file (an int is a fine float)
    assert settings.invitation_days == WebSettings().invitation_days  # default


def test_a_value_of_the_wrong_type_is_one_line_naming_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTIGO_WEB_DECODE_WORKERS", "many")
    with pytest.raises(
        UserError, match="environment variable TESTIGO_WEB_DECODE_WORKERS is 'many', not a whole number"
    ):
        resolve(WebSettings)
    monkeypatch.delenv("TESTIGO_WEB_DECODE_WORKERS")
    with pytest.raises(UserError, match="testigo.json key 'session_days' is '14', not a whole number"):
        resolve(WebSettings, {"session_days": "14"})
    tmp_path.joinpath("testigo.json").write_text(json.dumps({"profile": 7}))
    with pytest.raises(UserError, match="testigo.json key 'profile' is 7, not text"):
        Workspace(tmp_path).load_settings()
