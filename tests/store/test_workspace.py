"""Creating a workspace: the registry it holds at once is the one its database gives back."""

from __future__ import annotations

from pathlib import Path

from testigo.profiles import get_profile
from testigo.store.workspace import Store, open_workspace


def test_the_registry_a_new_workspace_keeps_is_the_one_read_back_from_its_database(
    store: Store, tmp_path: Path
) -> None:
    created = store.registry  # kept from the rows just written, not read back
    store.close()
    reopened = open_workspace(str(tmp_path / "ws"))
    try:
        stored = reopened.registry
        # the same content; no order is promised (PostgreSQL reads the rows back in an order of its own)
        assert created.areas == stored.areas and created.mesas == stored.mesas
        national = (stored.mesas_national, stored.centers_national, stored.registered_national)
        assert (created.mesas_national, created.centers_national, created.registered_national) == national
        shipped = get_profile("ve2024").load_registry()
        assert len(stored.mesas) == len(shipped.mesas) and stored.registered_national == shipped.registered_national
        created.mesas.clear()  # the store's copy, never the profile's
        assert len(get_profile("ve2024").load_registry().mesas) == len(shipped.mesas)
    finally:
        reopened.close()
