"""The registry and ballots a bundle relies on, as a file of the bundle (data/registry.json).

A shipped profile (``ve2024``) carries its registry, so a verifier takes it
from the installed profile. A ``generic`` workspace builds its registry and
ballot from the tables it imports, a ``br`` one its registry and every
contest's ballot from the boletins it counts; they live in its database only,
so its bundle must carry them (``facts``: `Profile.ballot_facts`), or no one
could recompute its figures. The trust this costs is spelled out in
docs/bundle-format.md.
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
        "facts": profile.ballot_facts(),
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
    """The profile (its ballots completed) and registry a bundle's data/registry.json gives.

    A file written before it carried ``facts`` gives a ``generic`` ballot by
    its ``candidates``. Raises ValueError naming what is malformed.
    """
    try:
        candidates = [str(key) for key in document["candidates"]]
        facts = document.get("facts") or {CANDIDATES_FACT: json.dumps(candidates, ensure_ascii=False)}
        facts = {str(key): str(value) for key, value in facts.items()}
        registry = Registry(
            areas={row[0]: Area(*row) for row in document["areas"]},
            mesas={row[0]: Mesa(*row) for row in document["mesas"]},
            mesas_national=document.get("mesas_national"),
            centers_national=document.get("centers_national"),
            registered_national=document.get("registered_national"),
        )
    except (KeyError, TypeError, IndexError, AttributeError) as error:
        raise ValueError(f"not a registry document ({error})") from None
    if document.get("profile") != profile.name:
        raise ValueError(f"it is for profile {document.get('profile')!r}, not {profile.name!r}")
    try:
        return profile.for_workspace(facts), registry
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"its ballots do not read ({error})") from None
