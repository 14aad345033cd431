"""Shared fixtures: developers alice and bob (and an outsider), each with a project and keys."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from dreamapi import ratelimit
from tenants import keycache
from tenants.authentication import failed_keys_forget
from tenants.models import Platform, Project
from tenants.services import developer_create, end_user_create, project_create
from webhooks.selectors import subscribers_forget


@dataclass
class Tenant:
    """A developer with one project: its raw keys exist only here, as after creation."""

    user: object
    platform: Platform
    project: Project
    keys: dict
    password: str = "correct-horse-battery-staple"
    _clients: dict = field(default_factory=dict)

    @property
    def sk(self) -> str:
        return self.keys["test"]["secretKey"]

    @property
    def pk(self) -> str:
        return self.keys["test"]["publishableKey"]

    def api(self, key: str | None = None, **headers: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key or self.sk}", **headers)
        return client

    def end_user(self, email: str = "user@example.com", mode: str = "test", **kwargs):
        return end_user_create(project_id=self.project.id, mode=mode, email=email, **kwargs)


def make_tenant(email: str, project_name: str = "App") -> Tenant:
    password = "correct-horse-battery-staple"
    user = developer_create(email=email, password=password)
    project, keys = project_create(platform=user.platform, name=project_name)
    return Tenant(user=user, platform=user.platform, project=project, keys=keys, password=password)


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Caches live across tests in one process; each test starts from nothing."""
    keycache.clear()
    failed_keys_forget()
    ratelimit.reset_client()
    subscribers_forget()
    cache.clear()
    yield
    keycache.clear()
    failed_keys_forget()
    ratelimit.reset_client()
    subscribers_forget()


@pytest.fixture
def alice(db) -> Tenant:
    return make_tenant("alice@example.com", "Alice's app")


@pytest.fixture
def bob(db) -> Tenant:
    return make_tenant("bob@example.com", "Bob's app")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
