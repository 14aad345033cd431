"""The audit log: who changed keys, tiers, plans, usage or projects, and what changed.

Services call :func:`audit_record` inside the transaction of the change they make, passing
the :class:`Actor` their caller names: a developer in the dashboard, an operator in the admin,
an API key, or the system itself (Celery, commands) when nobody is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from .keycache import KeyContext
from .models import ApiKey, AuditEvent, Project


@dataclass(frozen=True)
class Actor:
    kind: str
    user_id: int | None = None
    api_key_id: int | None = None
    label: str = ""

    @classmethod
    def developer(cls, user: AbstractBaseUser) -> Actor:
        return cls(kind=AuditEvent.ActorKind.DEVELOPER, user_id=user.pk, label=getattr(user, "email", "") or str(user))

    @classmethod
    def operator(cls, user: AbstractBaseUser) -> Actor:
        return cls(kind=AuditEvent.ActorKind.OPERATOR, user_id=user.pk, label=getattr(user, "email", "") or str(user))

    @classmethod
    def api_key(cls, key: KeyContext | ApiKey) -> Actor:
        key_id = key.key_id if isinstance(key, KeyContext) else key.pk
        label = f"{'secret' if key.kind == ApiKey.Kind.SECRET else 'publishable'} key ({key.mode})"
        return cls(kind=AuditEvent.ActorKind.API_KEY, api_key_id=key_id, label=label)


SYSTEM = Actor(kind=AuditEvent.ActorKind.SYSTEM, label="dream-api")


def audit_record(*, project: Project, actor: Actor, action: str, target: str = "", mode: str = "",
                 changes: dict[str, Any] | None = None, reason: str = "") -> AuditEvent:
    """Record one change. Call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        project=project,
        project_public_id=project.public_id,
        mode=mode,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:254],
        action=action,
        target=target[:255],
        changes=changes or {},
        reason=reason[:500],
    )


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
