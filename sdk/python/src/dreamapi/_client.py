"""``DreamAPI`` (sync) and ``AsyncDreamAPI``: the same resources and method names, one sends
with ``httpx.Client``, the other with ``httpx.AsyncClient``."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, TypeVar

import httpx

from . import _specs as specs
from ._http import AsyncTransport, Settings, SyncTransport
from ._specs import NOT_GIVEN, NotGiven
from .models import (
    CartItem,
    CheckoutResult,
    Customer,
    DashboardMetrics,
    DashboardTotals,
    DeleteResult,
    FeatureCheck,
    ManagedTier,
    Order,
    Page,
    PlanChange,
    PortalResult,
    Product,
    ProductDetail,
    Revoked,
    SignedIn,
    Tier,
    TierDeleted,
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
        """The end user's usage this period (of ``feature``, or of the default meter and, in
        ``features``, of every meter), without counting."""
        return self._run(specs.usage_check(user_id=user_id, user_token=user_token, feature=feature))

    def check_feature(self, feature: str | None = None, *, amount: int | None = None, user_id: str | None = None,
                      user_token: str | None = None) -> FeatureCheck:
        """Whether the end user may use ``feature`` now (``amount`` more of a metered one), without
        counting: ``GET /api/check``. Works for on/off features too."""
        return self._run(specs.usage_check_feature(user_id=user_id, user_token=user_token, feature=feature,
                                                   amount=amount))


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

    def cart_checkout(self, *, items: Sequence[CartItem], customer_email: str | None = None,
                      customer_name: str | None = None, success_url: str | None = None,
                      cancel_url: str | None = None, idempotency_key: str | None = None) -> CheckoutResult:
        """A guest checkout for ``[{"priceId": …, "quantity": …}]``; the stock is held until
        ``expires_at``. Not enough left: ``DreamAPIError`` 409 ``insufficient_inventory``."""
        return self._run(specs.cart_checkout(items=items, customer_email=customer_email, customer_name=customer_name,
                                             success_url=success_url, cancel_url=cancel_url,
                                             idempotency_key=idempotency_key))

    # The catalogue, from scripts (secret key).

    def get(self, product_id: str) -> ProductDetail:
        """A product with its stock counters (``product_id``: the ``prd_…`` id or the name)."""
        return self._run(specs.products_get(product_id))

    def create(self, name: str, *, price: int, display_name: str | None = None, description: str | None = None,
               currency: str | None = None, inventory: int | None | NotGiven = NOT_GIVEN,
               features: Sequence[str] | None = None, active: bool | None = None, order: int | None = None,
               restock_on_refund: bool | None = None, idempotency_key: str | None = None) -> ProductDetail:
        """Adds a product and its Stripe Product and Price. ``inventory``: units on hand (``None``:
        unlimited, the default)."""
        return self._run(specs.products_create(
            name=name, price=price, display_name=display_name, description=description, currency=currency,
            inventory=inventory, features=features, active=active, order=order, restock_on_refund=restock_on_refund,
            idempotency_key=idempotency_key))

    def update(self, product_id: str, *, display_name: str | None = None, description: str | None = None,
               price: int | None = None, currency: str | None = None, inventory: int | None | NotGiven = NOT_GIVEN,
               features: Sequence[str] | None = None, active: bool | None = None, order: int | None = None,
               restock_on_refund: bool | None = None, idempotency_key: str | None = None) -> ProductDetail:
        """Changes what is given; a new price or currency makes a new Stripe Price."""
        return self._run(specs.products_update(
            product_id, display_name=display_name, description=description, price=price, currency=currency,
            inventory=inventory, features=features, active=active, order=order, restock_on_refund=restock_on_refund,
            idempotency_key=idempotency_key))

    def archive(self, product_id: str) -> ProductDetail:
        """No longer listed or sold; orders stay (``update(id, active=True)`` brings it back)."""
        return self._run(specs.products_archive(product_id))

    def upload_image(self, product_id: str, image: bytes | IO[bytes], *, filename: str = "image",
                     content_type: str | None = None) -> ProductDetail:
        """Sets the product's image (PNG, JPEG, WebP or GIF), sent as multipart/form-data."""
        return self._run(specs.products_upload_image(product_id, image=image, filename=filename,
                                                     content_type=content_type))

    def delete_image(self, product_id: str) -> ProductDetail:
        return self._run(specs.products_delete_image(product_id))

    # Tiers, from scripts (secret key; the dashboard's rules).

    def create_tier(self, name: str, *, display_name: str | None = None, price: int | None = None,
                    currency: str | None = None, interval: str | None = None,
                    limit: int | None | NotGiven = NOT_GIVEN, features: Sequence[str] | None = None,
                    popular: bool | None = None, order: int | None = None,
                    trial_days: int | None = None, trial_requires_card: bool | None = None,
                    idempotency_key: str | None = None) -> ManagedTier:
        """``name`` is the tier's id (e.g. ``"pro"``); ``limit=None``: unlimited (the default)."""
        return self._run(specs.tiers_create(name=name, display_name=display_name, price=price, currency=currency,
                                            interval=interval, limit=limit, features=features, popular=popular,
                                            order=order, trial_days=trial_days,
                                            trial_requires_card=trial_requires_card, idempotency_key=idempotency_key))

    def update_tier(self, tier_id: str, *, display_name: str | None = None, price: int | None = None,
                    currency: str | None = None, interval: str | None = None,
                    limit: int | None | NotGiven = NOT_GIVEN, features: Sequence[str] | None = None,
                    popular: bool | None = None, order: int | None = None,
                    trial_days: int | None = None, trial_requires_card: bool | None = None,
                    idempotency_key: str | None = None) -> ManagedTier:
        return self._run(specs.tiers_update(tier_id, display_name=display_name, price=price, currency=currency,
                                            interval=interval, limit=limit, features=features, popular=popular,
                                            order=order, trial_days=trial_days,
                                            trial_requires_card=trial_requires_card, idempotency_key=idempotency_key))

    def delete_tier(self, tier_id: str, *, move_users_to: str | None = None) -> TierDeleted:
        """With end users on the tier, ``move_users_to`` names the tier they move to."""
        return self._run(specs.tiers_delete(tier_id, move_users_to=move_users_to))


class Orders(_SyncResource):
    def list(self, *, page: int = 1, limit: int | None = None, since: datetime | str | None = None,
             until: datetime | str | None = None, status: str | None = None,
             search: str | None = None) -> Page[Order]:
        """Paid carts, newest first; ``since``/``until`` bound when they were paid."""
        return self._run(specs.orders_list(page=page, limit=limit, since=since, until=until, status=status,
                                           search=search))

    def iterate(self, *, limit: int | None = None, since: datetime | str | None = None,
                until: datetime | str | None = None, status: str | None = None,
                search: str | None = None) -> Iterator[Order]:
        page = 1
        while True:
            result = self.list(page=page, limit=limit, since=since, until=until, status=status, search=search)
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

    async def check_feature(self, feature: str | None = None, *, amount: int | None = None,
                            user_id: str | None = None, user_token: str | None = None) -> FeatureCheck:
        return await self._run(specs.usage_check_feature(user_id=user_id, user_token=user_token, feature=feature,
                                                         amount=amount))


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

    async def cart_checkout(self, *, items: Sequence[CartItem], customer_email: str | None = None,
                            customer_name: str | None = None, success_url: str | None = None,
                            cancel_url: str | None = None, idempotency_key: str | None = None) -> CheckoutResult:
        return await self._run(specs.cart_checkout(items=items, customer_email=customer_email,
                                                   customer_name=customer_name, success_url=success_url,
                                                   cancel_url=cancel_url, idempotency_key=idempotency_key))

    async def get(self, product_id: str) -> ProductDetail:
        return await self._run(specs.products_get(product_id))

    async def create(self, name: str, *, price: int, display_name: str | None = None, description: str | None = None,
                     currency: str | None = None, inventory: int | None | NotGiven = NOT_GIVEN,
                     features: Sequence[str] | None = None, active: bool | None = None, order: int | None = None,
                     restock_on_refund: bool | None = None, idempotency_key: str | None = None) -> ProductDetail:
        return await self._run(specs.products_create(
            name=name, price=price, display_name=display_name, description=description, currency=currency,
            inventory=inventory, features=features, active=active, order=order, restock_on_refund=restock_on_refund,
            idempotency_key=idempotency_key))

    async def update(self, product_id: str, *, display_name: str | None = None, description: str | None = None,
                     price: int | None = None, currency: str | None = None,
                     inventory: int | None | NotGiven = NOT_GIVEN, features: Sequence[str] | None = None,
                     active: bool | None = None, order: int | None = None, restock_on_refund: bool | None = None,
                     idempotency_key: str | None = None) -> ProductDetail:
        return await self._run(specs.products_update(
            product_id, display_name=display_name, description=description, price=price, currency=currency,
            inventory=inventory, features=features, active=active, order=order, restock_on_refund=restock_on_refund,
            idempotency_key=idempotency_key))

    async def archive(self, product_id: str) -> ProductDetail:
        return await self._run(specs.products_archive(product_id))

    async def upload_image(self, product_id: str, image: bytes | IO[bytes], *, filename: str = "image",
                           content_type: str | None = None) -> ProductDetail:
        return await self._run(specs.products_upload_image(product_id, image=image, filename=filename,
                                                           content_type=content_type))

    async def delete_image(self, product_id: str) -> ProductDetail:
        return await self._run(specs.products_delete_image(product_id))

    async def create_tier(self, name: str, *, display_name: str | None = None, price: int | None = None,
                          currency: str | None = None, interval: str | None = None,
                          limit: int | None | NotGiven = NOT_GIVEN, features: Sequence[str] | None = None,
                          popular: bool | None = None, order: int | None = None,
                          trial_days: int | None = None, trial_requires_card: bool | None = None,
                          idempotency_key: str | None = None) -> ManagedTier:
        return await self._run(specs.tiers_create(name=name, display_name=display_name, price=price,
                                                  currency=currency, interval=interval, limit=limit,
                                                  features=features, popular=popular, order=order,
                                                  trial_days=trial_days, trial_requires_card=trial_requires_card,
                                                  idempotency_key=idempotency_key))

    async def update_tier(self, tier_id: str, *, display_name: str | None = None, price: int | None = None,
                          currency: str | None = None, interval: str | None = None,
                          limit: int | None | NotGiven = NOT_GIVEN, features: Sequence[str] | None = None,
                          popular: bool | None = None, order: int | None = None,
                          trial_days: int | None = None, trial_requires_card: bool | None = None,
                          idempotency_key: str | None = None) -> ManagedTier:
        return await self._run(specs.tiers_update(tier_id, display_name=display_name, price=price,
                                                  currency=currency, interval=interval, limit=limit,
                                                  features=features, popular=popular, order=order,
                                                  trial_days=trial_days, trial_requires_card=trial_requires_card,
                                                  idempotency_key=idempotency_key))

    async def delete_tier(self, tier_id: str, *, move_users_to: str | None = None) -> TierDeleted:
        return await self._run(specs.tiers_delete(tier_id, move_users_to=move_users_to))


class AsyncOrders(_AsyncResource):
    async def list(self, *, page: int = 1, limit: int | None = None, since: datetime | str | None = None,
                   until: datetime | str | None = None, status: str | None = None,
                   search: str | None = None) -> Page[Order]:
        return await self._run(specs.orders_list(page=page, limit=limit, since=since, until=until, status=status,
                                                 search=search))

    async def iterate(self, *, limit: int | None = None, since: datetime | str | None = None,
                      until: datetime | str | None = None, status: str | None = None,
                      search: str | None = None) -> AsyncIterator[Order]:
        page = 1
        while True:
            result = await self.list(page=page, limit=limit, since=since, until=until, status=status, search=search)
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
