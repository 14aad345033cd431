"""Writes for developers, projects and keys. Used by the dashboard, admin, commands and API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from dreamapi.errors import ApiError

from . import keycache
from .audit import SYSTEM, Actor, audit_changes, audit_record
from .ids import key_digest, random_token
from .models import (
    EXTERNAL_ID_MAX_LENGTH,
    OUR_ID_PREFIX,
    ApiKey,
    EndUser,
    Mode,
    Platform,
    Project,
    external_id_validator,
)

SECRET_KEY_LENGTH = 40
PUBLISHABLE_KEY_LENGTH = 32
PREFIX_LENGTH = 14  # "sk_test_" plus six characters: enough to tell keys apart, useless to an attacker


@dataclass(frozen=True)
class IssuedKey:
    """A key as it exists only at the moment it is created: the raw value is never stored."""

    api_key: ApiKey
    raw: str


def platform_get_or_create(*, user: AbstractBaseUser) -> Platform:
    platform, _ = Platform.objects.get_or_create(owner=user)
    return platform


def developer_create(*, email: str, password: str) -> AbstractBaseUser:
    """A developer account with a verified e-mail (for operators and the demo run)."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ApiError(f"A developer with e-mail {email} already exists.", code="developer_exists")
    with transaction.atomic():
        user = User.objects.create_user(username=email[:150], email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        platform_get_or_create(user=user)
    return user


def _new_key(*, project: Project, mode: str, kind: str) -> IssuedKey:
    raw_prefix = f"{kind}_{mode}_"
    length = SECRET_KEY_LENGTH if kind == ApiKey.Kind.SECRET else PUBLISHABLE_KEY_LENGTH
    raw = raw_prefix + random_token(length)
    api_key = ApiKey.objects.create(
        project=project,
        mode=mode,
        kind=kind,
        digest=key_digest(raw),
        prefix=raw[:PREFIX_LENGTH],
        publishable_key=raw if kind == ApiKey.Kind.PUBLISHABLE else "",
    )
    return IssuedKey(api_key=api_key, raw=raw)


ProjectSetupStep = Callable[..., object]
_project_setup_steps: list[ProjectSetupStep] = []


def project_setup_step(step: ProjectSetupStep) -> ProjectSetupStep:
    """Register ``step(*, project, mode)``: run for each mode of every new project, inside the
    transaction that creates it (a failing step leaves no project behind).

    The apps built on tenants give a new project what they own (billing: a default tier) by
    registering here in their ``AppConfig.ready``; tenants never imports them, and every caller
    of ``project_create`` (dashboard, commands, tests) gets the same complete project.
    """
    if step not in _project_setup_steps:
        _project_setup_steps.append(step)
    return step


def project_create(*, platform: Platform, name: str, kind: str = Project.Kind.SAAS,
                   actor: Actor = SYSTEM) -> tuple[Project, dict[str, dict[str, str]]]:
    """A project with keys for both modes, set up by every registered step (a ``free`` tier in each).

    Returns the project and the raw keys ``{"test": {"publishableKey", "secretKey"}, "live": {...}}``:
    the only time the secret keys exist in clear.
    """
    name = name.strip()
    if not name:
        raise ApiError("A project needs a name.", code="invalid_name")
    if kind not in Project.Kind.values:
        raise ApiError(f"Project type must be one of {', '.join(Project.Kind.values)}.", code="invalid_kind")
    keys: dict[str, dict[str, str]] = {}
    with transaction.atomic():
        project = Project.objects.create(platform=platform, name=name[:100], kind=kind)
        for mode in Mode.values:
            pk = _new_key(project=project, mode=mode, kind=ApiKey.Kind.PUBLISHABLE)
            sk = _new_key(project=project, mode=mode, kind=ApiKey.Kind.SECRET)
            keys[mode] = {"publishableKey": pk.raw, "secretKey": sk.raw}
            for step in _project_setup_steps:
                step(project=project, mode=mode)
        audit_record(project=project, actor=actor, action="project.create", target=project.name,
                     changes={"name": [None, project.name], "kind": [None, kind]})
    return project, keys


_UNSET = object()


_PROJECT_SETTINGS = ("name", "rate_limit_per_minute", "key_rate_limit_per_minute", "allowed_origins",
                     "auto_create_end_users")


def project_update(*, project: Project, name: str | None = None, rate_limit_per_minute: int | None = None,
                   allowed_origins: list[str] | None = None, key_rate_limit_per_minute=_UNSET,
                   auto_create_end_users: bool | None = None, actor: Actor = SYSTEM) -> Project:
    """Change a project's settings; ``key_rate_limit_per_minute=None`` removes the per-key limit."""
    before = {field: getattr(project, field) for field in _PROJECT_SETTINGS}
    if name is not None:
        name = name.strip()
        if not name:
            raise ApiError("A project needs a name.", code="invalid_name")
        project.name = name[:100]
    if rate_limit_per_minute is not None:
        if rate_limit_per_minute < 1:
            raise ApiError("The rate limit must be at least 1 request per minute.", code="invalid_rate_limit")
        project.rate_limit_per_minute = rate_limit_per_minute
    if allowed_origins is not None:
        project.allowed_origins = allowed_origins
    if key_rate_limit_per_minute is not _UNSET:
        if key_rate_limit_per_minute is not None and key_rate_limit_per_minute < 1:
            raise ApiError("The per-key rate limit must be at least 1 request per minute.",
                           code="invalid_rate_limit")
        project.key_rate_limit_per_minute = key_rate_limit_per_minute
    if auto_create_end_users is not None:
        project.auto_create_end_users = auto_create_end_users
    changes = audit_changes(before, {field: getattr(project, field) for field in _PROJECT_SETTINGS})
    with transaction.atomic():
        project.save()
        if changes:
            audit_record(project=project, actor=actor, action="project.update", target=project.name, changes=changes)
    keycache.clear()
    return project


def project_delete(*, project: Project, actor: Actor = SYSTEM) -> None:
    """Delete a project with everything in it. Its audit log stays (without the project link)."""
    digests = list(project.api_keys.values_list("digest", flat=True))
    with transaction.atomic():
        audit_record(project=project, actor=actor, action="project.delete", target=project.name)
        project.delete()
    for digest in digests:
        keycache.forget(digest)


def _key_target(kind: str) -> str:
    return f"{ApiKey.Kind(kind).label.lower()} key"


def api_key_rotate(*, project: Project, mode: str, kind: str = ApiKey.Kind.SECRET, actor: Actor = SYSTEM) -> IssuedKey:
    """Replace the active key of this kind: the old one stops working at once."""
    if mode not in Mode.values or kind not in ApiKey.Kind.values:
        raise ApiError("Unknown key mode or kind.", code="invalid_key_kind")
    with transaction.atomic():
        old = list(
            ApiKey.objects.select_for_update().filter(project=project, mode=mode, kind=kind, revoked_at__isnull=True)
        )
        ApiKey.objects.filter(pk__in=[k.pk for k in old]).update(revoked_at=timezone.now())
        issued = _new_key(project=project, mode=mode, kind=kind)
        audit_record(project=project, actor=actor, action="key.rotate", target=_key_target(kind), mode=mode,
                     changes={"prefix": [old[0].prefix if old else None, issued.api_key.prefix]})
    for key in old:
        keycache.forget(key.digest)
    return issued


def api_keys_revoke(*, project: Project, mode: str, kind: str, actor: Actor = SYSTEM) -> int:
    """Revoke the project's active key of this mode and kind; returns how many were revoked."""
    revoked = 0
    for api_key in ApiKey.objects.filter(project=project, mode=mode, kind=kind, revoked_at__isnull=True):
        api_key_revoke(api_key=api_key, actor=actor)
        revoked += 1
    return revoked


def api_key_revoke(*, api_key: ApiKey, actor: Actor = SYSTEM) -> ApiKey:
    """Revoke without replacement; the project has no key of this kind until regenerated."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if revoked:
            audit_record(project=api_key.project, actor=actor, action="key.revoke", target=_key_target(api_key.kind),
                         mode=api_key.mode, changes={"prefix": [api_key.prefix, None]})
    api_key.refresh_from_db(fields=["revoked_at"])
    keycache.forget(api_key.digest)
    return api_key


# --- end users -----------------------------------------------------------------------

EndUserListener = Callable[..., object]
_end_user_listeners: list[EndUserListener] = []


def end_user_listener(listener: EndUserListener) -> EndUserListener:
    """Register ``listener(*, event, end_user, previous_tier=None)``, run after an end user is
    ``"created"``, ``"deleted"`` or has ``"plan_changed"`` (``previous_tier`` then), inside the
    transaction of the change. The apps built on tenants react to end users this way (usage:
    the entitlement version; webhooks: the developer's events) without tenants importing
    them, like ``project_setup_step``."""
    if listener not in _end_user_listeners:
        _end_user_listeners.append(listener)
    return listener


def end_user_changed(*, event: str, end_user: EndUser, **details: object) -> None:
    """Tell the registered listeners; called by every service that creates, deletes or
    re-plans end users (here and in billing)."""
    for listener in _end_user_listeners:
        listener(event=event, end_user=end_user, **details)



def _validate_end_user_password(password: str, end_user: EndUser) -> None:
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    try:
        password_validation.validate_password(password, user=end_user)
    except ValidationError as exc:
        raise ApiError(" ".join(exc.messages), code="invalid_password",
                       extra={"fields": {"password": list(exc.messages)}}) from exc


def _tier_for(*, project_id: int, mode: str, plan: str | None):
    # The tier model, reached through the foreign key an end user must have: tenants imports
    # no app built on it (DESIGN: dependencies point one way).
    tiers = EndUser.tier.field.related_model.objects.filter(project_id=project_id, mode=mode)
    tier = tiers.filter(slug=plan).first() if plan else tiers.filter(is_default=True).first()
    if tier is None:
        if plan:
            known = ", ".join(tiers.values_list("slug", flat=True)) or "none"
            raise ApiError(f"Unknown plan '{plan}'. Tiers in this project: {known}.", code="unknown_plan",
                           extra={"fields": {"plan": [f"Unknown plan '{plan}'."]}})
        raise ApiError("This project has no default tier; create one in the dashboard.", code="no_default_tier")
    return tier


def _check_external_id(external_id: str) -> None:
    from django.core.exceptions import ValidationError

    problem = None
    if not isinstance(external_id, str) or len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        problem = f"An external id has at most {EXTERNAL_ID_MAX_LENGTH} characters."
    elif external_id.startswith(OUR_ID_PREFIX):
        problem = f"An external id may not start with '{OUR_ID_PREFIX}': ids with that prefix are dream-api's own."
    else:
        try:
            external_id_validator(external_id)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
    if problem:
        raise ApiError(problem, code="invalid_external_id", extra={"fields": {"externalId": [problem]}})


def end_user_create(
    *,
    project_id: int,
    mode: str,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    plan: str | None = None,
    metadata: dict | None = None,
    email_verified: bool = False,
    external_id: str | None = None,
) -> EndUser:
    from django.contrib.auth.hashers import make_password
    from django.db import IntegrityError

    from dreamapi.errors import Conflict

    email = email.strip()
    if external_id is not None:
        _check_external_id(external_id)
    end_user = EndUser(
        project_id=project_id,
        mode=mode,
        email=email,
        external_id=external_id,
        first_name=first_name,
        last_name=last_name,
        metadata=metadata or {},
        email_verified=email_verified,
        tier=_tier_for(project_id=project_id, mode=mode, plan=plan),
    )
    if password:
        _validate_end_user_password(password, end_user)
    end_user.password = make_password(password) if password else ""
    same_external_id = Conflict(f"An end user with external id {external_id} already exists.",
                                code="external_id_exists")
    if EndUser.objects.filter(project_id=project_id, mode=mode, email__iexact=email).exists():
        raise Conflict(f"An end user with e-mail {email} already exists.", code="customer_exists")
    if external_id is not None and EndUser.objects.filter(project_id=project_id, mode=mode,
                                                          external_id=external_id).exists():
        raise same_external_id
    try:
        with transaction.atomic():
            end_user.save()
            end_user_changed(event="created", end_user=end_user)
    except IntegrityError as exc:  # lost a race with a concurrent create of the same e-mail or external id
        if "external_id" in str(exc):
            raise same_external_id from exc
        raise Conflict(f"An end user with e-mail {email} already exists.", code="customer_exists") from exc
    return end_user


def end_user_ensure_external(*, project_id: int, mode: str, external_id: str) -> None:
    """Make sure an end user with this external id exists, creating it on the default tier.

    One conditional insert (``INSERT … ON CONFLICT DO NOTHING``): the unique constraint on
    (project, mode, external id) decides between concurrent callers, so one id never gets two
    end users and nobody reads before writing. The end user has no e-mail or password yet.
    """
    _check_external_id(external_id)
    tier = _tier_for(project_id=project_id, mode=mode, plan=None)
    EndUser.objects.bulk_create(
        [EndUser(project_id=project_id, mode=mode, external_id=external_id, email="", tier=tier)],
        ignore_conflicts=True,
    )
    if _end_user_listeners:
        # Whoever inserted it: concurrent first calls may both announce it (listeners dedupe by id).
        end_user = EndUser.objects.select_related("tier").get(project_id=project_id, mode=mode,
                                                               external_id=external_id)
        end_user_changed(event="created", end_user=end_user)


def end_user_update(
    *,
    end_user: EndUser,
    first_name: str | None = None,
    last_name: str | None = None,
    plan: str | None = None,
    metadata: dict | None = None,
    actor: Actor = SYSTEM,
) -> EndUser:
    """Change an end user's names, metadata or plan. A plan change is audited as ``end_user.plan_change``."""
    fields = ["updated_at"]
    changes: dict[str, list] = {}
    if first_name is not None and first_name != end_user.first_name:
        changes["first_name"] = [end_user.first_name, first_name]
        end_user.first_name = first_name
        fields.append("first_name")
    if last_name is not None and last_name != end_user.last_name:
        changes["last_name"] = [end_user.last_name, last_name]
        end_user.last_name = last_name
        fields.append("last_name")
    if metadata is not None and metadata != end_user.metadata:
        # The keys only: metadata may hold personal data the log should not copy.
        changes["metadata keys"] = [sorted(end_user.metadata), sorted(metadata)]
        end_user.metadata = metadata
        fields.append("metadata")
    previous_tier = None
    if plan is not None and plan != end_user.tier.slug:
        previous_tier = end_user.tier
        end_user.tier = _tier_for(project_id=end_user.project_id, mode=end_user.mode, plan=plan)
        changes["plan"] = [previous_tier.slug, end_user.tier.slug]
        fields.append("tier")
    with transaction.atomic():
        end_user.save(update_fields=fields)
        if changes:
            audit_record(project=end_user.project, actor=actor, mode=end_user.mode, target=end_user.public_id,
                         action="end_user.plan_change" if "plan" in changes else "end_user.update", changes=changes)
        if previous_tier is not None:
            end_user_changed(event="plan_changed", end_user=end_user, previous_tier=previous_tier)
    return end_user


def end_user_delete(*, end_user: EndUser, actor: Actor = SYSTEM) -> None:
    with transaction.atomic():
        audit_record(project=end_user.project, actor=actor, mode=end_user.mode, target=end_user.public_id,
                     action="end_user.delete", changes={"email": [end_user.email, None]})
        end_user_changed(event="deleted", end_user=end_user)
        end_user.delete()
