"""How long work reports its progress: one protocol every layer shares, with no dependencies.

Ingest, verification and the simulator take a `Progress`; the command line
draws it as a Rich bar on stderr, the library and the web stay silent. It
lives in a leaf module so that any package may accept one without importing
the package that happens to implement it.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Where long work reports its phases and steps."""

    def phase(self, name: str, total: int | None) -> None:
        """A new phase begins; `total` steps, or None when not known in advance."""

    def advance(self, steps: int = 1) -> None:
        """`steps` more steps of the current phase are done."""


class Silent:
    """A `Progress` that reports nothing (the default of every library function)."""

    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass
