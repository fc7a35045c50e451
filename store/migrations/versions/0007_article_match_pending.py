"""article match_pending: stored or edited, not matched against the watches yet

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Plain ALTERs, not a batch: on SQLite a batch that adds an index copies the table, and
# dropping the old one fails against the foreign keys that point at it.
def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column("match_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_articles_match_pending", "articles", ["match_pending"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_articles_match_pending", table_name="articles")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("match_pending")
