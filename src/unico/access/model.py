"""Roles, permissions and the principal acting on a request. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from unico.core.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    INTEGRATION = "integration"
    ANALYST = "analyst"
    STORE_ASSOCIATE = "store_associate"


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    RESERVATIONS_WRITE = "reservations:write"
    WEBHOOKS_MANAGE = "webhooks:manage"
    ACCESS_MANAGE = "access:manage"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    FULFILLMENT_WRITE = "fulfillment:write"
    RETURNS_WRITE = "returns:write"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    PRIVACY_MANAGE = "privacy:manage"
    TRACKING_MANAGE = "tracking:manage"
    PRICING_READ = "pricing:read"
    PRICING_MANAGE = "pricing:manage"
    LOYALTY_READ = "loyalty:read"
    LOYALTY_WRITE = "loyalty:write"
    LOYALTY_MANAGE = "loyalty:manage"


_READ = {
    Permission.CATALOG_READ,
    Permission.LOCATIONS_READ,
    Permission.INVENTORY_READ,
    Permission.ORDERS_READ,
    Permission.CUSTOMERS_READ,
    Permission.PRICING_READ,
    Permission.LOYALTY_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INTEGRATION: frozenset(
        _READ
        | {
            Permission.CATALOG_WRITE,
            Permission.LOCATIONS_WRITE,
            Permission.INVENTORY_WRITE,
            Permission.RESERVATIONS_WRITE,
            Permission.WEBHOOKS_MANAGE,
            Permission.ORDERS_WRITE,
            Permission.FULFILLMENT_WRITE,
            Permission.RETURNS_WRITE,
            Permission.CUSTOMERS_WRITE,
            Permission.TRACKING_MANAGE,
            Permission.LOYALTY_WRITE,
        }
    ),
    Role.ANALYST: frozenset(_READ),
    # Store-bound: may write stock and reservations, but only at its own store (see check_store).
    # Associates also place orders (endless aisle, reserve in store), work their store's fulfillment
    # queue, take returns and serve customers; the store-bound checks live in each service.
    Role.STORE_ASSOCIATE: frozenset(
        _READ
        | {
            Permission.INVENTORY_WRITE,
            Permission.RESERVATIONS_WRITE,
            Permission.ORDERS_WRITE,
            Permission.FULFILLMENT_WRITE,
            Permission.RETURNS_WRITE,
            Permission.CUSTOMERS_WRITE,
            Permission.LOYALTY_WRITE,
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: an API key or a console user, with a role and, for associates, a store."""

    kind: str  # "api_key" | "user"
    name: str
    role: Role
    store_id: int | None = None
    store_code: str | None = None
    user_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise ``PermissionDenied`` unless this principal's role grants ``permission``."""
        if not self.can(permission):
            raise PermissionDenied(
                f"role '{self.role}' may not do '{permission}'", code="auth.forbidden", permission=permission
            )

    def require_store(self, location_id: int, location_code: str) -> None:
        """Store associates act only on their own store; other roles are not store-bound."""
        if self.role is Role.STORE_ASSOCIATE and self.store_id != location_id:
            raise PermissionDenied(
                f"an associate of {self.store_code} may not change {location_code}",
                code="auth.other_store",
                location=location_code,
                own_store=self.store_code,
            )

    @property
    def actor(self) -> str:
        """How this principal is named in ledgers and audit trails."""
        return f"{self.kind}:{self.name}"


SYSTEM = Principal(kind="system", name="unico", role=Role.ADMIN)
