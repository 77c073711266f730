"""The registry and ballot a bundle relies on, as a file of the bundle (data/registry.json).

A shipped profile (``ve2024``) carries its registry, so a verifier takes it
from the installed profile. A ``generic`` workspace builds its registry and
ballot from the tables it imports; they live in its database only, so its
bundle must carry them, or no one could recompute its figures. The trust this
costs is spelled out in docs/bundle-format.md.
"""

from __future__ import annotations

import json
from typing import Any

from testigo.domain import Area, Mesa, Registry
from testigo.profiles import Profile
from testigo.profiles.generic import CANDIDATES_FACT


def registry_document(profile: Profile, registry: Registry) -> dict[str, Any]:
    """data/registry.json: the ballot's candidate keys, every area and mesa, the national figures."""
    return {
        "profile": profile.name,
        "candidates": profile.election.candidate_keys(),
        "areas": [
            [a.id, a.level, a.name, a.parent_id, a.registered]
            for a in sorted(registry.areas.values(), key=lambda a: a.id)
        ],
        "mesas": [
            [m.id, m.center_id, m.number, m.registered] for m in sorted(registry.mesas.values(), key=lambda m: m.id)
        ],
        "mesas_national": registry.mesas_national,
        "centers_national": registry.centers_national,
        "registered_national": registry.registered_national,
    }


def read_registry_document(profile: Profile, document: Any) -> tuple[Profile, Registry]:
    """The profile (its ballot completed) and registry a bundle's data/registry.json gives.

    Raises ValueError naming what is malformed.
    """
    try:
        candidates = [str(key) for key in document["candidates"]]
        registry = Registry(
            areas={row[0]: Area(*row) for row in document["areas"]},
            mesas={row[0]: Mesa(*row) for row in document["mesas"]},
            mesas_national=document.get("mesas_national"),
            centers_national=document.get("centers_national"),
            registered_national=document.get("registered_national"),
        )
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"not a registry document ({error})") from None
    if document.get("profile") != profile.name:
        raise ValueError(f"it is for profile {document.get('profile')!r}, not {profile.name!r}")
    return profile.for_workspace({CANDIDATES_FACT: json.dumps(candidates, ensure_ascii=False)}), registry
