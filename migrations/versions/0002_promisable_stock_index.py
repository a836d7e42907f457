"""Partial covering index of stock rows with something to promise (availability reads).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:22:19.811550
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROMISABLE = "on_hand - reserved - safety_stock > 0"


def upgrade() -> None:
    op.create_index(
        "ix_stock_promisable",
        "stock",
        ["variant_id", "location_id", "on_hand", "reserved", "safety_stock"],
        sqlite_where=sa.text(PROMISABLE),
        postgresql_where=sa.text(PROMISABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_stock_promisable", table_name="stock")
