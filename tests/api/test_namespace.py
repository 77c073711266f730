"""The public namespace: `testigo.__all__` is the documented list, every name resolves, and importing stays light."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import testigo

ROOT = Path(__file__).resolve().parents[2]
#: Modules `import testigo` must not load: they cost most of the command line's start-up.
HEAVY = ("numpy", "cv2", "sqlalchemy", "pyarrow", "typer", "scipy", "matplotlib", "zxingcpp", "PIL", "dask")
#: Public names whose use reads no image, so they must not load OpenCV or the QR decoder.
READING_FREE = ("open", "init", "results", "coverage", "records", "items", "status", "projection", "compare")


def _modules_after(code: str) -> list[str]:
    """The HEAVY modules loaded once `code` has run in a fresh interpreter."""
    probe = f"import sys, json\n{code}\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_import_testigo_loads_nothing_heavy() -> None:
    assert _modules_after("import testigo; testigo.__all__; testigo.__version__; dir(testigo)") == []


def test_no_opencv_until_reading_starts() -> None:
    names = ", ".join(f"testigo.{name}" for name in READING_FREE)
    loaded = _modules_after(f"import testigo; {names}")
    assert "cv2" not in loaded and "zxingcpp" not in loaded, loaded
    assert "cv2" in _modules_after("import testigo; testigo.ingest")  # the probe can see it


def _documented() -> list[str]:
    """The names listed under "Everything public" in docs/api.md, in order."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## Everything public", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Za-z_]+)`", section, flags=re.MULTILINE)


def test_all_is_exactly_the_documented_list() -> None:
    documented = _documented()
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert sorted(testigo.__all__) == sorted(documented)


def test_every_public_name_resolves_and_is_documented() -> None:
    exports = testigo._EXPORTS  # the map the lazy import uses
    assert set(exports) == set(testigo.__all__) - {"__version__"}
    for name in testigo.__all__:
        value = getattr(testigo, name)
        assert value is not None, name
        if callable(value):
            assert inspect.getdoc(value), f"testigo.{name} has no docstring"
    assert dir(testigo) == sorted(testigo.__all__)
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        _ = testigo.no_such_name


def test_type_checkers_see_the_same_names_from_the_same_modules() -> None:
    """The TYPE_CHECKING imports of testigo/__init__.py mirror the lazy map, name for name."""
    tree = ast.parse(Path(testigo.__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == testigo._EXPORTS


def test_functions_named_like_subpackages_stay_functions() -> None:
    """`testigo.verify`, `.publish` and `.forensics` are the API's functions, even once their subpackages load."""
    code = (
        "import testigo, testigo.verify.bundle, testigo.publish.layout, testigo.forensics.digits\n"
        "from testigo.verify import verify_bundle\n"
        "print(' '.join(f'{f.__module__}.{f.__name__}' for f in (testigo.verify, testigo.publish, testigo.forensics)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [
        "testigo.api.bundles.verify",
        "testigo.api.bundles.publish",
        "testigo.api.forensics.forensics",
    ]


def test_public_errors_hang_from_the_root() -> None:
    assert issubclass(testigo.NotVerified, testigo.UserError)
    assert issubclass(testigo.UserError, testigo.TestigoError)
    assert "NotVerified" in (importlib.import_module("testigo.errors").__doc__ or "")
