"""Who may see which country, resolved once per request (or task) and then read cheaply.

A person's resolved access is kept in the cache, so that a request learns who is asking with no
query at all when nothing changed. Each entry carries the two generations it was resolved under:
the programme's (groups and their assignments) and the person's own (memberships, assignments,
account, tokens). Any such change gives the generation a new value at once, and again when the
request or task that made it is over, its transaction committed (tenants.access_signals; services
that change rows with .update() call access_changed themselves): a request resolving access between
the two, from rows not yet committed, cannot keep what it read. So an entry resolved before a change
never matches after it: a revoked role takes effect on the next request. A cache that cannot be
reached only costs the queries."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from guardian.models import GroupObjectPermission, UserObjectPermission

from tenants.models import Country, Membership

PARTNER_MANAGERS_GROUP = "Partner managers"
AUDITORS_GROUP = "Auditors"
PARTNER_PERMISSION = "manage_partnership"
AUDITOR_PERMISSION = "audit_country"

PARTNER_MANAGER = "partner_manager"
AUDITOR = "auditor"


@dataclass(frozen=True)
class MembershipInfo:
    organisation_id: int
    role: str
    status: str


@dataclass
class Access:
    user_id: int | None = None
    memberships: dict[int, MembershipInfo] = field(default_factory=dict)
    partner_country_ids: frozenset[int] = frozenset()
    auditor_country_ids: frozenset[int] = frozenset()
    is_platform_admin: bool = False
    # A personal access token narrows what its requests may do: to some countries, and to reading.
    token_country_ids: frozenset[int] | None = None
    read_only: bool = False

    @property
    def oversight_country_ids(self) -> frozenset[int]:
        """Countries this person oversees (partner manager or auditor): a platform role, which no
        membership there can lower or raise (separation of duties)."""
        return self.partner_country_ids | self.auditor_country_ids

    @property
    def member_country_ids(self) -> frozenset[int]:
        active = frozenset(cid for cid, m in self.memberships.items() if m.status == Membership.Status.ACTIVE)
        return active - self.oversight_country_ids

    @property
    def country_ids(self) -> frozenset[int]:
        """Every country this person may see at all."""
        return self.member_country_ids | self.partner_country_ids | self.auditor_country_ids

    def can_view(self, country_id: int) -> bool:
        return country_id in self.country_ids

    def role_in(self, country_id: int) -> str | None:
        """The role held in a country. Oversight comes first: a partner manager or auditor of a
        country is that and nothing else there, whatever membership a country admin may have made."""
        if country_id in self.partner_country_ids:
            return PARTNER_MANAGER
        if country_id in self.auditor_country_ids:
            return AUDITOR
        if country_id in self.member_country_ids:
            return self.memberships[country_id].role
        return None

    def is_country_admin(self, country_id: int) -> bool:
        return not self.read_only and self.role_in(country_id) == Membership.Role.COUNTRY_ADMIN

    def can_write(self, country_id: int) -> bool:
        return not self.read_only and self.role_in(country_id) in {
            Membership.Role.COUNTRY_ADMIN,
            Membership.Role.OFFICER,
        }

    @property
    def is_privileged(self) -> bool:
        """Country admins, partner managers, auditors and platform admins: their accounts need a
        second factor and their sessions end sooner when idle."""
        return (
            self.is_platform_admin
            or bool(self.oversight_country_ids)
            or any(
                m.role == Membership.Role.COUNTRY_ADMIN and m.status == Membership.Status.ACTIVE
                for m in self.memberships.values()
            )
        )

    def narrowed(self, *, country_ids: frozenset[int] | None, read_only: bool) -> Access:
        """This access seen through a token: only `country_ids` (None: all), and only reading if
        `read_only`. Oversight and memberships outside the token's countries are dropped."""
        if country_ids is None:
            keep = lambda cid: True  # noqa: E731
        else:
            keep = country_ids.__contains__
        return Access(
            user_id=self.user_id,
            memberships={cid: m for cid, m in self.memberships.items() if keep(cid)},
            partner_country_ids=frozenset(filter(keep, self.partner_country_ids)),
            auditor_country_ids=frozenset(filter(keep, self.auditor_country_ids)),
            is_platform_admin=self.is_platform_admin and country_ids is None and not read_only,
            token_country_ids=country_ids,
            read_only=read_only,
        )

    @property
    def is_partner_manager(self) -> bool:
        return bool(self.partner_country_ids)

    @property
    def is_auditor(self) -> bool:
        return bool(self.auditor_country_ids)


ANONYMOUS = Access()


def memberships_of(user_id: int) -> dict[int, MembershipInfo]:
    """The person's memberships in every country (country id -> organisation, role, status), read
    before any country context by the one SECURITY DEFINER function allowed to."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # SECURITY DEFINER: the only read of tenant rows allowed before a country context.
            cursor.execute("SELECT country_id, organisation_id, role, status FROM portal_memberships_of(%s)", [user_id])
        else:
            cursor.execute(
                "SELECT country_id, organisation_id, role, status FROM tenants_membership WHERE user_id = %s", [user_id]
            )
        return {row[0]: MembershipInfo(row[1], row[2], row[3]) for row in cursor.fetchall()}


def _assigned_country_ids(
    user, codename: str, group_name: str, group_ids: set[int], group_names: set[str]
) -> frozenset[int]:
    """Countries on which the person holds `codename` as a guardian object permission, counted
    only while they belong to the role's group (removing them from it withdraws every assignment)."""
    if group_name not in group_names:
        return frozenset()
    content_type = ContentType.objects.get_for_model(Country)
    direct = UserObjectPermission.objects.filter(
        user_id=user.pk, content_type=content_type, permission__codename=codename
    ).values_list("object_pk", flat=True)
    via_group = GroupObjectPermission.objects.filter(
        group_id__in=group_ids, content_type=content_type, permission__codename=codename
    ).values_list("object_pk", flat=True)
    return frozenset(int(pk) for pk in direct.union(via_group))


log = logging.getLogger(__name__)
ACCESS_TTL = 600  # seconds; generations make an entry stale at once, this only bounds memory
PROGRAMME_GENERATION = "access:generation"


def _person_generation(user_id: int) -> str:
    return f"access:generation:{user_id}"


_renew_when_done: ContextVar[set[str] | None] = ContextVar("portal_access_renew_when_done", default=None)


def _renew(keys: Iterable[str]) -> None:
    try:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    except Exception:  # noqa: BLE001 - the cache being away must not fail a change
        log.warning("Could not renew the access generations in the cache", exc_info=True)


def access_changed(*, user_ids: Iterable[int | None] | None = None) -> None:
    """Forget resolved access: of these people, or of everyone (None: a group or its assignments
    changed). Now, and again when the request or task is over (access_changes_renewed)."""
    keys = {PROGRAMME_GENERATION} if user_ids is None else {_person_generation(u) for u in set(user_ids) if u}
    if not keys:
        return
    _renew(keys)
    pending = _renew_when_done.get()
    if pending is not None:
        pending.update(keys)


@contextmanager
def access_changes_renewed() -> Iterator[None]:
    """Around a request or a task, whose transactions have committed when it ends: the generations
    it changed are renewed once more then."""
    token = _renew_when_done.set(set())
    try:
        yield
    finally:
        keys = _renew_when_done.get()
        _renew_when_done.reset(token)
        if keys:
            _renew(keys)


def cached_with_generations(key: str, user_id: int) -> tuple[object | None, tuple | None]:
    """(the cached value at `key` if it was stored under the current generations, those
    generations); (None, None) when the cache cannot be reached."""
    names = [PROGRAMME_GENERATION, _person_generation(user_id), key]
    try:
        found = cache.get_many(names)
    except Exception:  # noqa: BLE001
        log.warning("The cache could not be read; access resolved from the database", exc_info=True)
        return None, None
    generations = (found.get(names[0]), found.get(names[1]))
    entry = found.get(key)
    if entry is not None and entry[0] == generations:
        return entry[1], generations
    return None, generations


def _generations(user_id: int) -> tuple | None:
    names = [PROGRAMME_GENERATION, _person_generation(user_id)]
    try:
        found = cache.get_many(names)
    except Exception:  # noqa: BLE001
        log.warning("The cache could not be read", exc_info=True)
        return None
    return (found.get(names[0]), found.get(names[1]))


def cached_for_person(key: str) -> object | None:
    """A value cached with cache_for_person, if nothing changed for its person since (two reads
    of the cache: the entry, then the generations of the person it names)."""
    try:
        entry = cache.get(key)
    except Exception:  # noqa: BLE001
        log.warning("The cache could not be read", exc_info=True)
        return None
    if entry is None:
        return None
    user_id, generations, value = entry
    return value if generations is not None and _generations(user_id) == generations else None


def cache_for_person(key: str, value: object, *, user_id: int) -> None:
    """Keep `value`, about person `user_id`, until anything changes for them (access_changed)."""
    generations = _generations(user_id)
    if generations is None:
        return
    try:
        cache.set(key, (user_id, generations, value), ACCESS_TTL)
    except Exception:  # noqa: BLE001
        log.warning("The cache could not be written", exc_info=True)


def cache_with_generations(key: str, value: object, generations: tuple | None) -> None:
    if generations is None:
        return
    try:
        cache.set(key, (generations, value), ACCESS_TTL)
    except Exception:  # noqa: BLE001
        log.warning("The cache could not be written", exc_info=True)


def access_for(user) -> Access:
    """The person's access: from the cache when nothing changed since it was resolved."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    key = f"access:{user.pk}"
    access, generations = cached_with_generations(key, user.pk)
    if access is None:
        access = access_resolve(user)
        cache_with_generations(key, access, generations)
    return access


def access_resolve(user) -> Access:
    """The person's access, from the database (memberships, groups, assignments, account)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    groups = list(Group.objects.filter(user=user).values_list("id", "name"))
    group_ids = {gid for gid, _ in groups}
    group_names = {name for _, name in groups}
    return Access(
        user_id=user.pk,
        memberships=memberships_of(user.pk),
        partner_country_ids=_assigned_country_ids(
            user, PARTNER_PERMISSION, PARTNER_MANAGERS_GROUP, group_ids, group_names
        ),
        auditor_country_ids=_assigned_country_ids(user, AUDITOR_PERMISSION, AUDITORS_GROUP, group_ids, group_names),
        is_platform_admin=user.is_superuser,
    )
