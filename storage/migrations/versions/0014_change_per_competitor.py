"""change per competitor

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

A change is unique per run, competitor, kind and entity, no longer per run, kind and entity: two competitors whose
products have one key (both use the GTIN or the maker's part number as their SKU) can change the same night, and
the second competitor's change was dropped (the diff inserts ON CONFLICT DO NOTHING).

SQLite cannot drop a table's constraint: the table is copied (batch mode). Eleven views read `change`; with
`legacy_alter_table` on, SQLite renames the copy into place without checking them against the dropped original
(they name the table, and read the copy once it has the name).
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD = ("uq_change_run_id_kind_entity", ["run_id", "kind", "entity"])
NEW = ("uq_change_run_id_competitor_id_kind_entity", ["run_id", "competitor_id", "kind", "entity"])


def _swap(drop: tuple[str, list[str]], create: tuple[str, list[str]]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA legacy_alter_table=ON")
    with op.batch_alter_table("change", recreate="always" if sqlite else "never") as batch:
        batch.drop_constraint(drop[0], type_="unique")
        batch.create_unique_constraint(*create)
    if sqlite:
        op.execute("PRAGMA legacy_alter_table=OFF")


def upgrade() -> None:
    _swap(OLD, NEW)


def downgrade() -> None:
    # changes of two competitors with one key and kind in a run would break the old constraint: keep the first
    op.execute("DELETE FROM change WHERE id NOT IN (SELECT MIN(id) FROM change GROUP BY run_id, kind, entity)")
    _swap(NEW, OLD)
