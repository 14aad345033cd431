"""``DreamAPI`` (sync) and ``AsyncDreamAPI``: the same resources and method names, one sends
with ``httpx.Client``, the other with ``httpx.AsyncClient``."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from . import _specs as specs
from ._http import AsyncTransport, Settings, SyncTransport
from .models import (
    CheckoutResult,
    Customer,
    DashboardMetrics,
    DashboardTotals,
    DeleteResult,
    Order,
    Page,
    PlanChange,
    PortalResult,
    Product,
    Revoked,
    SignedIn,
    Tier,
    TrackResult,
    Usage,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_DELAY = 20.0


def _settings(secret_key: str | None, publishable_key: str | None, base_url: str, timeout: float,
              max_retries: int, max_retry_delay: float, headers: Mapping[str, str] | None) -> Settings:
    if not secret_key and not publishable_key:
        raise ValueError("DreamAPI: pass secret_key (servers) or publishable_key")
    if not base_url:
        raise ValueError("DreamAPI: base_url is required (the address of your dream-api server)")
    return Settings(base_url=base_url.rstrip("/"), secret_key=secret_key, publishable_key=publishable_key,
                    timeout=timeout, max_retries=max_retries, max_retry_delay=max_retry_delay,
                    headers=dict(headers or {}))


class _Auth:
    """URLs of the hosted pages (sign-up, sign-in, account, refresh)."""

    def __init__(self, settings: Settings, signup_url: str | None) -> None:
        self._settings = settings
        self._pages = (signup_url or settings.base_url).rstrip("/")

    def get_sign_up_url(self, redirect: str) -> str:
        return specs.hosted_url(self._pages, "/signup", self._settings.publishable_key, redirect)

    def get_sign_in_url(self, redirect: str) -> str:
        return specs.hosted_url(self._pages, "/signin", self._settings.publishable_key, redirect)

    def get_customer_portal_url(self, return_url: str) -> str:
        return specs.hosted_url(self._pages, "/account", self._settings.publishable_key, return_url)

    def get_refresh_url(self, redirect: str) -> str:
        return specs.hosted_url(self._pages, "/refresh", self._settings.publishable_key, redirect)


# --- sync ---------------------------------------------------------------------------------------


class _SyncResource:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _run(self, spec: specs.Spec[T]) -> T:
        return spec.parse(self._transport.send(spec.call))


class Customers(_SyncResource):
    def create(self, email: str, *, password: str | None = None, first_name: str | None = None,
               last_name: str | None = None, plan: str | None = None, external_id: str | None = None,
               metadata: Mapping[str, Any] | None = None, idempotency_key: str | None = None) -> Customer:
        return self._run(specs.customers_create(email=email, password=password, first_name=first_name,
                                                last_name=last_name, plan=plan, external_id=external_id,
                                                metadata=metadata, idempotency_key=idempotency_key))

    def get(self, customer_id: str) -> Customer:
        return self._run(specs.customers_get(customer_id))

    def update(self, customer_id: str, *, plan: str | None = None, first_name: str | None = None,
               last_name: str | None = None, metadata: Mapping[str, Any] | None = None,
               idempotency_key: str | None = None) -> Customer:
        return self._run(specs.customers_update(customer_id, plan=plan, first_name=first_name, last_name=last_name,
                                                metadata=metadata, idempotency_key=idempotency_key))

    def delete(self, customer_id: str) -> DeleteResult:
        return self._run(specs.customers_delete(customer_id))

    def list(self, *, search: str | None = None, page: int = 1, limit: int | None = None) -> Page[Customer]:
        return self._run(specs.customers_list(search=search, page=page, limit=limit))

    def iterate(self, *, search: str | None = None, limit: int | None = None) -> Iterator[Customer]:
        """Every end user, fetching page after page as you iterate."""
        page = 1
        while True:
            result = self.list(search=search, page=page, limit=limit)
            yield from result.items
            if not result.has_more or not result.items:
                return
            page += 1


class UsageResource(_SyncResource):
    def track(self, *, user_id: str | None = None, user_token: str | None = None, feature: str | None = None,
              amount: int | None = None, idempotency_key: str | None = None) -> TrackResult:
        """Counts one use for the end user. At the limit: ``DreamAPIError`` with code
        ``tier_limit_reached`` (status 403)."""
        return self._run(specs.usage_track(user_id=user_id, user_token=user_token, feature=feature, amount=amount,
                                           idempotency_key=idempotency_key))

    def check(self, *, user_id: str | None = None, user_token: str | None = None,
              feature: str | None = None) -> Usage:
        return self._run(specs.usage_check(user_id=user_id, user_token=user_token, feature=feature))


class Billing(_SyncResource):
    def create_checkout(self, *, tier: str | None = None, price_id: str | None = None,
                        success_url: str | None = None, cancel_url: str | None = None, user_id: str | None = None,
                        user_token: str | None = None, idempotency_key: str | None = None) -> CheckoutResult:
        return self._run(specs.billing_checkout(tier=tier, price_id=price_id, success_url=success_url,
                                                cancel_url=cancel_url, user_id=user_id, user_token=user_token,
                                                idempotency_key=idempotency_key))

    def open_portal(self, *, return_url: str | None = None, user_id: str | None = None,
                    user_token: str | None = None, idempotency_key: str | None = None) -> PortalResult:
        return self._run(specs.billing_portal(return_url=return_url, user_id=user_id, user_token=user_token,
                                              idempotency_key=idempotency_key))

    def change_plan(self, *, tier: str, user_id: str | None = None, user_token: str | None = None,
                    idempotency_key: str | None = None) -> PlanChange:
        """Move the end user's subscription to ``tier``: an upgrade now (the prorated difference is
        charged), a downgrade or the default free tier at the end of the period; their current tier
        withdraws a pending change. 409 ``checkout_required`` without a subscription."""
        return self._run(specs.billing_change_plan(tier=tier, user_id=user_id, user_token=user_token,
                                                   idempotency_key=idempotency_key))


class Products(_SyncResource):
    def list_tiers(self) -> list[Tier]:
        return self._run(specs.tiers_list())

    def list(self) -> builtins.list[Product]:
        return self._run(specs.products_list())

    def cart_checkout(self, *, items: Sequence[Mapping[str, Any]], customer_email: str | None = None,
                      customer_name: str | None = None, success_url: str | None = None,
                      cancel_url: str | None = None, idempotency_key: str | None = None) -> CheckoutResult:
        return self._run(specs.cart_checkout(items=items, customer_email=customer_email, customer_name=customer_name,
                                             success_url=success_url, cancel_url=cancel_url,
                                             idempotency_key=idempotency_key))


class Orders(_SyncResource):
    def list(self, *, page: int = 1, limit: int | None = None) -> Page[Order]:
        return self._run(specs.orders_list(page=page, limit=limit))

    def iterate(self, *, limit: int | None = None) -> Iterator[Order]:
        page = 1
        while True:
            result = self.list(page=page, limit=limit)
            yield from result.items
            if not result.has_more or not result.items:
                return
            page += 1


class Dashboard(_SyncResource):
    def get(self) -> DashboardMetrics:
        return self._run(specs.dashboard_get())

    def get_totals(self) -> DashboardTotals:
        return self._run(specs.dashboard_totals())


class Auth(_Auth):
    def __init__(self, settings: Settings, signup_url: str | None, transport: SyncTransport) -> None:
        super().__init__(settings, signup_url)
        self._transport = transport

    def _run(self, spec: specs.Spec[T]) -> T:
        return spec.parse(self._transport.send(spec.call))

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None) -> SignedIn:
        """The one-time code from the hosted pages → the end user and a token."""
        return self._run(specs.auth_exchange(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier))

    def refresh(self, *, customer_id: str | None = None, token: str | None = None) -> SignedIn:
        return self._run(specs.auth_refresh(customer_id=customer_id, token=token))

    def revoke(self, *, customer_id: str | None = None, token: str | None = None) -> Revoked:
        return self._run(specs.auth_revoke(customer_id=customer_id, token=token))


class DreamAPI:
    """The dream-api client for servers.

    >>> api = DreamAPI(secret_key=os.environ["DREAM_API_SECRET_KEY"], base_url="https://api.example.com")
    >>> customer = api.customers.create("sharon@example.com")
    >>> api.usage.track(user_id=customer.id).usage.remaining
    """

    def __init__(self, secret_key: str | None = None, *, base_url: str, publishable_key: str | None = None,
                 signup_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
                 headers: Mapping[str, str] | None = None, http_client: httpx.Client | None = None) -> None:
        self.settings = _settings(secret_key, publishable_key, base_url, timeout, max_retries, max_retry_delay,
                                  headers)
        self._transport = SyncTransport(self.settings, http_client)
        self.customers = Customers(self._transport)
        self.usage = UsageResource(self._transport)
        self.billing = Billing(self._transport)
        self.products = Products(self._transport)
        self.orders = Orders(self._transport)
        self.dashboard = Dashboard(self._transport)
        self.auth = Auth(self.settings, signup_url, self._transport)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> DreamAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- async --------------------------------------------------------------------------------------


class _AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _run(self, spec: specs.Spec[T]) -> T:
        return spec.parse(await self._transport.send(spec.call))


class AsyncCustomers(_AsyncResource):
    async def create(self, email: str, *, password: str | None = None, first_name: str | None = None,
                     last_name: str | None = None, plan: str | None = None, external_id: str | None = None,
                     metadata: Mapping[str, Any] | None = None, idempotency_key: str | None = None) -> Customer:
        return await self._run(specs.customers_create(email=email, password=password, first_name=first_name,
                                                      last_name=last_name, plan=plan, external_id=external_id,
                                                      metadata=metadata, idempotency_key=idempotency_key))

    async def get(self, customer_id: str) -> Customer:
        return await self._run(specs.customers_get(customer_id))

    async def update(self, customer_id: str, *, plan: str | None = None, first_name: str | None = None,
                     last_name: str | None = None, metadata: Mapping[str, Any] | None = None,
                     idempotency_key: str | None = None) -> Customer:
        return await self._run(specs.customers_update(customer_id, plan=plan, first_name=first_name,
                                                      last_name=last_name, metadata=metadata,
                                                      idempotency_key=idempotency_key))

    async def delete(self, customer_id: str) -> DeleteResult:
        return await self._run(specs.customers_delete(customer_id))

    async def list(self, *, search: str | None = None, page: int = 1, limit: int | None = None) -> Page[Customer]:
        return await self._run(specs.customers_list(search=search, page=page, limit=limit))

    async def iterate(self, *, search: str | None = None, limit: int | None = None) -> AsyncIterator[Customer]:
        page = 1
        while True:
            result = await self.list(search=search, page=page, limit=limit)
            for item in result.items:
                yield item
            if not result.has_more or not result.items:
                return
            page += 1


class AsyncUsage(_AsyncResource):
    async def track(self, *, user_id: str | None = None, user_token: str | None = None, feature: str | None = None,
                    amount: int | None = None, idempotency_key: str | None = None) -> TrackResult:
        return await self._run(specs.usage_track(user_id=user_id, user_token=user_token, feature=feature,
                                                 amount=amount, idempotency_key=idempotency_key))

    async def check(self, *, user_id: str | None = None, user_token: str | None = None,
                    feature: str | None = None) -> Usage:
        return await self._run(specs.usage_check(user_id=user_id, user_token=user_token, feature=feature))


class AsyncBilling(_AsyncResource):
    async def create_checkout(self, *, tier: str | None = None, price_id: str | None = None,
                              success_url: str | None = None, cancel_url: str | None = None,
                              user_id: str | None = None, user_token: str | None = None,
                              idempotency_key: str | None = None) -> CheckoutResult:
        return await self._run(specs.billing_checkout(tier=tier, price_id=price_id, success_url=success_url,
                                                      cancel_url=cancel_url, user_id=user_id, user_token=user_token,
                                                      idempotency_key=idempotency_key))

    async def open_portal(self, *, return_url: str | None = None, user_id: str | None = None,
                          user_token: str | None = None, idempotency_key: str | None = None) -> PortalResult:
        return await self._run(specs.billing_portal(return_url=return_url, user_id=user_id, user_token=user_token,
                                                    idempotency_key=idempotency_key))

    async def change_plan(self, *, tier: str, user_id: str | None = None, user_token: str | None = None,
                          idempotency_key: str | None = None) -> PlanChange:
        """See :meth:`Billing.change_plan`."""
        return await self._run(specs.billing_change_plan(tier=tier, user_id=user_id, user_token=user_token,
                                                         idempotency_key=idempotency_key))


class AsyncProducts(_AsyncResource):
    async def list_tiers(self) -> list[Tier]:
        return await self._run(specs.tiers_list())

    async def list(self) -> builtins.list[Product]:
        return await self._run(specs.products_list())

    async def cart_checkout(self, *, items: Sequence[Mapping[str, Any]], customer_email: str | None = None,
                            customer_name: str | None = None, success_url: str | None = None,
                            cancel_url: str | None = None, idempotency_key: str | None = None) -> CheckoutResult:
        return await self._run(specs.cart_checkout(items=items, customer_email=customer_email,
                                                   customer_name=customer_name, success_url=success_url,
                                                   cancel_url=cancel_url, idempotency_key=idempotency_key))


class AsyncOrders(_AsyncResource):
    async def list(self, *, page: int = 1, limit: int | None = None) -> Page[Order]:
        return await self._run(specs.orders_list(page=page, limit=limit))

    async def iterate(self, *, limit: int | None = None) -> AsyncIterator[Order]:
        page = 1
        while True:
            result = await self.list(page=page, limit=limit)
            for item in result.items:
                yield item
            if not result.has_more or not result.items:
                return
            page += 1


class AsyncDashboard(_AsyncResource):
    async def get(self) -> DashboardMetrics:
        return await self._run(specs.dashboard_get())

    async def get_totals(self) -> DashboardTotals:
        return await self._run(specs.dashboard_totals())


class AsyncAuth(_Auth):
    def __init__(self, settings: Settings, signup_url: str | None, transport: AsyncTransport) -> None:
        super().__init__(settings, signup_url)
        self._transport = transport

    async def _run(self, spec: specs.Spec[T]) -> T:
        return spec.parse(await self._transport.send(spec.call))

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None) -> SignedIn:
        return await self._run(specs.auth_exchange(code=code, redirect_uri=redirect_uri,
                                                   code_verifier=code_verifier))

    async def refresh(self, *, customer_id: str | None = None, token: str | None = None) -> SignedIn:
        return await self._run(specs.auth_refresh(customer_id=customer_id, token=token))

    async def revoke(self, *, customer_id: str | None = None, token: str | None = None) -> Revoked:
        return await self._run(specs.auth_revoke(customer_id=customer_id, token=token))


class AsyncDreamAPI:
    """The same client for asyncio (FastAPI, Starlette, aiohttp…): every call is awaited."""

    def __init__(self, secret_key: str | None = None, *, base_url: str, publishable_key: str | None = None,
                 signup_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 max_retries: int = DEFAULT_MAX_RETRIES, max_retry_delay: float = DEFAULT_MAX_RETRY_DELAY,
                 headers: Mapping[str, str] | None = None, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = _settings(secret_key, publishable_key, base_url, timeout, max_retries, max_retry_delay,
                                  headers)
        self._transport = AsyncTransport(self.settings, http_client)
        self.customers = AsyncCustomers(self._transport)
        self.usage = AsyncUsage(self._transport)
        self.billing = AsyncBilling(self._transport)
        self.products = AsyncProducts(self._transport)
        self.orders = AsyncOrders(self._transport)
        self.dashboard = AsyncDashboard(self._transport)
        self.auth = AsyncAuth(self.settings, signup_url, self._transport)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncDreamAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
