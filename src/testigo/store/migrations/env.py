"""Alembic environment: runs migrations on the connection testigo hands over."""

from alembic import context

import testigo.store.official  # noqa: F401  (its tables join Base.metadata)
from testigo.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
