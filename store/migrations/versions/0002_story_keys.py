"""story keys and shingles: the near-duplicate index that groups copies into one story

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BACKFILL_DAYS = 30  # articles stored before this revision, this recent, are indexed
BATCH = 500


def upgrade() -> None:
    op.create_table(
        "story_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("key_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_story_keys_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("key", "at", "article_id", name=op.f("pk_story_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_keys_article_id"), ["article_id"])
    op.create_table(
        "story_shingles",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("shingles", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_story_shingles_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_shingles")),
    )
    backfill(op.get_bind())


def backfill(connection: sa.Connection) -> None:
    """Index the recent articles already stored, so that their copies still join their stories.

    Plain SQL on purpose: later revisions may change the ``Article`` model.
    """
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from store.fingerprint import fingerprint
    from store.models import UTCDateTime
    from store.stories import CROWDED

    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer()),
        sa.column("body", sa.Text()),
        sa.column("published", UTCDateTime()),
        sa.column("fetched", UTCDateTime()),
    )
    story_keys = sa.table(
        "story_keys",
        sa.column("key", sa.BigInteger()),
        sa.column("at", sa.BigInteger()),
        sa.column("article_id", sa.Integer()),
        sa.column("key_count", sa.Integer()),
    )
    story_shingles = sa.table(
        "story_shingles",
        sa.column("article_id", sa.Integer()),
        sa.column("shingles", sa.LargeBinary()),
    )
    since = datetime.now(UTC) - timedelta(days=BACKFILL_DAYS)
    stmt = sa.select(articles).where(articles.c.fetched >= since).order_by(articles.c.id)
    held: Counter[int] = Counter()
    keys, shingles = [], []
    for article_id, body, published, fetched in connection.execute(stmt).all():
        found = fingerprint(body)
        row = {
            "at": int((published or fetched).timestamp()),
            "article_id": article_id,
            "key_count": len(found.keys),
        }
        for key in sorted(found.keys):
            held[key] += 1
            if held[key] <= CROWDED:
                keys.append({**row, "key": key})
        shingles.append({"article_id": article_id, "shingles": found.pack()})
        if len(shingles) >= BATCH:
            _insert(connection, story_keys, keys, story_shingles, shingles)
            keys, shingles = [], []
    _insert(connection, story_keys, keys, story_shingles, shingles)


def _insert(connection, story_keys, keys, story_shingles, shingles) -> None:  # noqa: ANN001
    if keys:
        connection.execute(sa.insert(story_keys), keys)
    if shingles:
        connection.execute(sa.insert(story_shingles), shingles)


def downgrade() -> None:
    op.drop_table("story_shingles")
    with op.batch_alter_table("story_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_keys_article_id"))
    op.drop_table("story_keys")
