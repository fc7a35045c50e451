"""site health: what each crawl run listed and read, and each site's broken episode

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pages_read", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("with_body", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("with_date", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("problem", sa.Text(), nullable=True))

    op.create_table(
        "site_health",
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("broken_since", store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("changed", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_site_health")),
    )


def downgrade() -> None:
    op.drop_table("site_health")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("problem")
        batch_op.drop_column("with_date")
        batch_op.drop_column("with_body")
        batch_op.drop_column("pages_read")
        batch_op.drop_column("listed")
