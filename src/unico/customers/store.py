"""Tables of the identity graph: profiles, their identifiers, merges and relations.

A profile is identified publicly by ``profile_id`` ("cus_..."). Identifiers hang off the profile's
internal id; ``(kind, value)`` is unique, so one identifier belongs to at most one profile. A merge
never deletes the merged profile: it is marked ``merged`` with ``merged_into`` pointing at the
survivor, so old ids keep resolving, and the merge row records what moved so it can be undone.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)

from unico.core.db import BigId, Json, UTCDateTime, metadata

customer_profiles = Table(
    "customer_profiles",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("profile_id", String(40), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default="active"),  # active | merged | erased
    Column("merged_into", String(40), nullable=True),
    Column("traits", Json, nullable=False),
    # Lower-cased "first last" (and full "name" trait) for search by name; personal data, so
    # erasure clears it along with traits.
    Column("name_key", String(200), nullable=False, default=""),
    # Cache of the computed traits (profiles.compute_traits), refreshed on demand.
    Column("computed", Json, nullable=True),
    Column("computed_at", UTCDateTime, nullable=True),
    Column("first_seen_at", UTCDateTime, nullable=True),
    Column("last_seen_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'merged', 'erased')", name="status"),
    Index("ix_customer_profiles_merged_into", "merged_into"),
)

customer_identifiers = Table(
    "customer_identifiers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("profile_id", BigId, ForeignKey("customer_profiles.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", String(254), nullable=False),
    Column("source", String(40), nullable=False, default=""),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "value", name="uq_customer_identifiers_kind_value"),
    Index("ix_customer_identifiers_profile", "profile_id"),
)

identity_merges = Table(
    "identity_merges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("merge_id", String(40), nullable=False, unique=True),
    Column("survivor", String(40), nullable=False),  # profile_id of the survivor
    Column("merged", String(40), nullable=False),  # profile_id of the profile merged into it
    Column("reason", String(200), nullable=False, default=""),
    Column("actor", String(120), nullable=False, default=""),
    Column("evidence", Json, nullable=True),
    # What the merge moved (identifier ids, event ids, order ids) and the survivor's state
    # before it (traits it gained, first/last seen), so that undo restores exactly.
    Column("moved", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("undone_at", UTCDateTime, nullable=True),
    Column("undone_by", String(120), nullable=True),
    Index("ix_identity_merges_survivor", "survivor"),
    Index("ix_identity_merges_merged", "merged"),
)

customer_relations = Table(
    "customer_relations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("profile_id", BigId, ForeignKey("customer_profiles.id", ondelete="CASCADE"), nullable=False),
    Column(
        "other_profile_id",
        BigId,
        ForeignKey("customer_profiles.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(20), nullable=False),  # household | shared_address | shared_device | bought_for
    Column("source", String(40), nullable=False, default=""),
    Column("actor", String(120), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('household', 'shared_address', 'shared_device', 'bought_for')", name="kind"),
    UniqueConstraint(
        "profile_id", "other_profile_id", "kind", name="uq_customer_relations_profile_other_kind"
    ),
    Index("ix_customer_relations_other", "other_profile_id"),
)
