"""Alembic environment: runs the migrations on the engine storage.db hands over (SQLite and PostgreSQL alike)."""
from alembic import context

from storage.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Dossier's migrations run online only: use `dossier init`.")
run_migrations()
