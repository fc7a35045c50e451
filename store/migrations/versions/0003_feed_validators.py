"""feed validators: ETag / Last-Modified of feeds and sitemaps, for conditional requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_validators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("parent", sa.String(length=2048), nullable=True),
        sa.Column("checked", store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_validators")),
        sa.UniqueConstraint("url", name=op.f("uq_feed_validators_url")),
    )
    with op.batch_alter_table("feed_validators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_validators_parent"), ["parent"], unique=False)
        batch_op.create_index(batch_op.f("ix_feed_validators_site"), ["site"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feed_validators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_validators_site"))
        batch_op.drop_index(batch_op.f("ix_feed_validators_parent"))

    op.drop_table("feed_validators")
