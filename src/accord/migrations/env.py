"""Alembic environment: runs migrations on the engine Accord itself would use."""

from __future__ import annotations

from alembic import context

import accord.tables  # noqa: F401 - registers every table on Base.metadata
from accord.core.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
if not url:
    msg = "no database URL given to the migration environment"
    raise RuntimeError(msg)

engine = make_engine(url)
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
finally:
    engine.dispose()
