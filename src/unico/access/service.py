"""Use cases of access: API keys, console users and their sessions."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from unico.access.model import Principal, Role
from unico.access.passwords import hash_password, verify_password
from unico.access.store import api_keys, sessions, users
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from unico.inventory.store import locations

KEY_PREFIX = "unico"
API_KEY_CACHE_SECONDS = 5.0
"""How long a process trusts a key it has checked: a revocation made by another process takes
effect there within this time (at once in the revoking process)."""
MIN_PASSWORD_LENGTH = 10


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role '{role}' (one of {allowed})", field="role") from None


def _store_for_role(conn: Connection, role: Role, store_code: str | None) -> tuple[int | None, str | None]:
    if role is Role.STORE_ASSOCIATE:
        if not store_code:
            raise ValidationFailed("a store_associate must be bound to a store", field="store")
        row = conn.execute(
            select(locations.c.id, locations.c.type).where(locations.c.code == store_code)
        ).first()
        if row is None:
            raise NotFound(
                f"unknown store '{store_code}'", code="inventory.location_not_found", store=store_code
            )
        if row.type != "store":
            raise ValidationFailed(f"'{store_code}' is a warehouse, not a store", field="store")
        return int(row.id), store_code
    if store_code:
        raise ValidationFailed("only a store_associate is bound to a store", field="store")
    return None, None


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    secret: str  # shown once: "unico_<key_id>_<random>"
    name: str
    role: str
    store: str | None


def create_api_key(db: Database, *, name: str, role: str, store_code: str | None = None) -> IssuedKey:
    """Issue a key; only its hash is stored, so the secret is returned this once."""
    parsed = _parse_role(role)
    if not name.strip():
        raise ValidationFailed("a key needs a name", field="name")
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(24)}"
    with db.write() as conn:
        store_id, store = _store_for_role(conn, parsed, store_code)
        conn.execute(
            api_keys.insert().values(
                key_id=key_id,
                secret_hash=_sha256(secret),
                name=name.strip(),
                role=parsed.value,
                store_id=store_id,
                created_at=clock.now(),
            )
        )
    return IssuedKey(key_id=key_id, secret=secret, name=name.strip(), role=parsed.value, store=store)


class _KeyCache:
    """Principals of recently checked keys, by the key's hash: most API calls then authenticate
    without a database round trip."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._valid: dict[str, tuple[Principal, float]] = {}

    def get(self, digest: str) -> Principal | None:
        found = self._valid.get(digest)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            if len(self._valid) > 10_000:
                self._valid.clear()
            self._valid[digest] = (principal, time.monotonic() + API_KEY_CACHE_SECONDS)

    def clear(self) -> None:
        with self._lock:
            self._valid.clear()


_key_caches: weakref.WeakKeyDictionary[Database, _KeyCache] = weakref.WeakKeyDictionary()


def _key_cache(db: Database) -> _KeyCache:
    cache = _key_caches.get(db)
    if cache is None:
        cache = _key_caches.setdefault(db, _KeyCache())
    return cache


def authenticate_api_key(db: Database, secret: str) -> Principal:
    """The principal behind ``secret``, or ``Unauthenticated``."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthenticated("malformed API key", code="auth.invalid_key")
    digest = _sha256(secret)
    cache = _key_cache(db)
    cached = cache.get(digest)
    if cached is not None:
        return cached
    with db.read() as conn:
        row = conn.execute(
            select(api_keys, locations.c.code.label("store_code"))
            .select_from(api_keys.outerjoin(locations, locations.c.id == api_keys.c.store_id))
            .where(api_keys.c.key_id == parts[1])
        ).first()
    if row is None or row.revoked_at is not None or not secrets.compare_digest(row.secret_hash, digest):
        raise Unauthenticated("unknown or revoked API key", code="auth.invalid_key")
    principal = Principal(
        kind="api_key", name=row.name, role=Role(row.role), store_id=row.store_id, store_code=row.store_code
    )
    cache.put(digest, principal)
    return principal


def revoke_api_key(db: Database, key_id: str) -> None:
    with db.write() as conn:
        done = conn.execute(
            update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=clock.now())
        )
    _key_cache(db).clear()
    if done.rowcount == 0:
        raise NotFound(f"no active key '{key_id}'", code="access.key_not_found")


def create_user(
    db: Database,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    store_code: str | None = None,
    locale: str = "it",
) -> int:
    """Create a console user with a scrypt-hashed password; returns its id."""
    parsed = _parse_role(role)
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed("not an email address", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if locale not in ("it", "en"):
        raise ValidationFailed("locale must be 'it' or 'en'", field="locale")
    with db.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise Conflict(f"a user with email {email} exists", code="access.user_exists", email=email)
        store_id, _ = _store_for_role(conn, parsed, store_code)
        result = conn.execute(
            users.insert().values(
                email=email,
                name=name.strip() or email,
                password_hash=hash_password(password),
                role=parsed.value,
                store_id=store_id,
                locale=locale,
                active=True,
                created_at=clock.now(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def open_session(db: Database, *, email: str, password: str, hours: int) -> tuple[str, Principal]:
    """Check the password and start a session; returns the session token (kept only hashed)."""
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    if row is None or not row.active or not verify_password(password, row.password_hash):
        raise Unauthenticated("wrong email or password", code="auth.bad_credentials")
    token = secrets.token_urlsafe(32)
    at = clock.now()
    with db.write() as conn:
        conn.execute(
            sessions.insert().values(
                token_hash=_sha256(token),
                user_id=row.id,
                created_at=at,
                expires_at=at + timedelta(hours=hours),
            )
        )
    return token, principal_for_session(db, token)


def principal_for_session(db: Database, token: str) -> Principal:
    """The user behind a live session token, or ``Unauthenticated``."""
    with db.read() as conn:
        row = conn.execute(
            select(users, locations.c.code.label("store_code"), sessions.c.expires_at)
            .select_from(
                sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
                    locations, locations.c.id == users.c.store_id
                )
            )
            .where(sessions.c.token_hash == _sha256(token))
        ).first()
    if row is None or row.expires_at <= clock.now() or not row.active:
        raise Unauthenticated("session expired", code="auth.session_expired")
    return Principal(
        kind="user",
        name=row.email,
        role=Role(row.role),
        store_id=row.store_id,
        store_code=row.store_code,
        user_id=row.id,
    )


def close_session(db: Database, token: str) -> None:
    with db.write() as conn:
        conn.execute(sessions.delete().where(sessions.c.token_hash == _sha256(token)))


def user_locale(db: Database, user_id: int) -> str:
    with db.read() as conn:
        value = conn.execute(select(users.c.locale).where(users.c.id == user_id)).scalar_one_or_none()
    return value or "it"


def set_user_locale(db: Database, user_id: int, locale: str) -> None:
    if locale not in ("it", "en"):
        raise ValidationFailed("locale must be 'it' or 'en'", field="locale")
    with db.write() as conn:
        conn.execute(update(users).where(users.c.id == user_id).values(locale=locale))
