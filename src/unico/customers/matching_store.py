"""Tables of probabilistic matching: the review queue and the record of customer imports.

A review is a pair of profiles the model found likely, but not certainly, the same person
(``matching.REVIEW_PROBABILITY`` <= p < ``AUTO_MERGE_PROBABILITY``). It holds profile ids and the
model's evidence (field agreement levels and weights), never the personal data itself, so that
erasure has nothing to scrub here. A decided review (merged or rejected) is never decided again.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Float, Index, Integer, String, Table

from unico.core.db import BigId, Json, UTCDateTime, metadata

match_reviews = Table(
    "match_reviews",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("review_id", String(40), nullable=False, unique=True),
    Column("survivor", String(40), nullable=False),  # profile_id kept if merged (the older one)
    Column("candidate", String(40), nullable=False),  # profile_id merged into it if merged
    Column("status", String(16), nullable=False, default="pending"),  # pending | merged | rejected
    Column("score", Float, nullable=False),  # match probability
    Column("match_weight", Float, nullable=False),
    Column("evidence", Json, nullable=False),
    Column("source", String(60), nullable=False, default=""),  # e.g. "import:imp_.."
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", String(120), nullable=True),
    Column("merge_id", String(40), nullable=True),
    CheckConstraint("status IN ('pending', 'merged', 'rejected')", name="status"),
    Index("ix_match_reviews_status", "status", "created_at"),
    Index("ix_match_reviews_survivor", "survivor"),
    Index("ix_match_reviews_candidate", "candidate"),
)

customer_imports = Table(
    "customer_imports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("import_id", String(40), nullable=False, unique=True),
    Column("filename", String(255), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("rows", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("matched_by_identifier", Integer, nullable=False, default=0),
    Column("merged_automatically", Integer, nullable=False, default=0),
    Column("sent_to_review", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    # [{line, code, reason}]: reasons name the column, never repeat the value (personal data).
    Column("rejections", Json, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
)
