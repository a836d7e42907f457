"""Probabilistic match reviews and customer import runs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "match_reviews",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("review_id", sa.String(length=40), nullable=False),
        sa.Column("survivor", sa.String(length=40), nullable=False),
        sa.Column("candidate", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("merge_id", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'merged', 'rejected')", name=op.f("ck_match_reviews_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_reviews")),
        sa.UniqueConstraint("review_id", name=op.f("uq_match_reviews_review_id")),
    )
    op.create_index("ix_match_reviews_status", "match_reviews", ["status", "created_at"], unique=False)
    op.create_index("ix_match_reviews_survivor", "match_reviews", ["survivor"], unique=False)
    op.create_index("ix_match_reviews_candidate", "match_reviews", ["candidate"], unique=False)

    op.create_table(
        "customer_imports",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("matched_by_identifier", sa.Integer(), nullable=False),
        sa.Column("merged_automatically", sa.Integer(), nullable=False),
        sa.Column("sent_to_review", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", JSON, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_imports")),
        sa.UniqueConstraint("import_id", name=op.f("uq_customer_imports_import_id")),
    )


def downgrade() -> None:
    op.drop_table("customer_imports")
    op.drop_index("ix_match_reviews_candidate", table_name="match_reviews")
    op.drop_index("ix_match_reviews_survivor", table_name="match_reviews")
    op.drop_index("ix_match_reviews_status", table_name="match_reviews")
    op.drop_table("match_reviews")
