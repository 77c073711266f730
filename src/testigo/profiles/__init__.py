"""Tally-sheet formats. Look one up by name with `get_profile`."""

from __future__ import annotations

from functools import cache

from testigo.errors import UserError
from testigo.profiles.base import CheckContext, PayloadError, Profile


@cache
def get_profile(name: str) -> Profile:
    """The profile called `name`; raises UserError listing the known ones."""
    if name == "ve2024":
        from testigo.profiles.ve2024 import VE2024

        return VE2024()
    if name == "generic":
        from testigo.profiles.generic import Generic

        return Generic()
    if name == "br":
        from testigo.profiles.br import Brazil

        return Brazil()
    raise UserError(f"unknown profile {name!r}; known: {', '.join(PROFILE_NAMES)}")


PROFILE_NAMES: tuple[str, ...] = ("ve2024", "generic", "br")

__all__ = ["PROFILE_NAMES", "CheckContext", "PayloadError", "Profile", "get_profile"]
