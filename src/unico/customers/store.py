"""Tables of this domain (filled by the issue that builds it)."""

from __future__ import annotations
