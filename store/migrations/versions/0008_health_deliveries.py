"""health deliveries: site health messages are outbox rows, sent and retried like alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# A batch: on SQLite a column becomes nullable only by copying the table (nothing refers to
# deliveries, so the copy can replace it).
def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="alert")
        )
        batch_op.add_column(sa.Column("title", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.alter_column("match_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("story_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE kind <> 'alert'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("story_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("match_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("body")
        batch_op.drop_column("title")
        batch_op.drop_column("kind")
