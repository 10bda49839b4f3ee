"""Index people by name for the platform-wide list

Revision ID: 0002_people_name_index
Revises: 0001_foundation
Create Date: 2026-11-22 01:16:13.227424
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_people_name_index"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_name_id", ["display_name", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_name_id")
