"""Forms of the dashboard pages. They only validate input; the services decide."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.core.validators import URLValidator

from billing.models import Tier, tier_slug_validator
from billing.money import MAXIMUM_AMOUNT
from billing.selectors import SUBSCRIPTION_FILTERS, tiers_for_project
from storefront.models import Order, Product, product_name_validator
from storefront.services.products import MAX_FEATURES
from tenants.models import Project
from usage.features import FeatureInput
from usage.models import TierFeature, feature_key_validator
from webhooks.events import EVENT_TYPES

from .formatting import format_money, major_units, minor_units


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Project.Kind.choices, initial=Project.Kind.SAAS, label="Starts with",
                             help_text=Project._meta.get_field("kind").help_text)


class ProjectSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    rate_limit_per_minute = forms.IntegerField(min_value=1, max_value=100_000,
                                               label="Rate limit per end user (per minute)")
    key_rate_limit_per_minute = forms.IntegerField(
        min_value=1, max_value=1_000_000, required=False, label="Rate limit per API key (per minute)",
        help_text="All calls made with one key, whatever the end user. Empty: no limit.",
    )
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Browser origins allowed to call publishable-key endpoints, one per line (https://app.example.com).",
    )
    auto_create_end_users = forms.BooleanField(
        required=False, label="Create end users on first use",
        help_text="With the secret key, POST /api/data naming an unknown external id (X-User-Id) creates that "
                  "end user on the default tier instead of answering 404.",
    )

    def clean_allowed_origins(self) -> list[str]:
        origins = []
        for line in self.cleaned_data["allowed_origins"].splitlines():
            origin = line.strip().rstrip("/")
            if not origin:
                continue
            try:
                URLValidator(schemes=["http", "https"])(origin)
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"{origin} is not an origin like https://app.example.com.") from exc
            if origin.count("/") > 2:
                raise forms.ValidationError(f"{origin}: an origin has no path.")
            origins.append(origin)
        return origins


class TierForm(forms.Form):
    slug = forms.CharField(max_length=40, validators=[tier_slug_validator], label="Id", help_text="e.g. pro")
    name = forms.CharField(max_length=80)
    price_cents = forms.IntegerField(min_value=0, label="Price (minor units, e.g. cents)", initial=0)
    currency = forms.CharField(max_length=3, initial="usd")
    interval = forms.ChoiceField(choices=Tier.Interval.choices, initial=Tier.Interval.MONTH)
    monthly_limit = forms.IntegerField(min_value=0, required=False, label="Calls per period",
                                       help_text="Leave empty for unlimited.")
    features = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line.")
    popular = forms.BooleanField(required=False)
    order = forms.IntegerField(min_value=0, max_value=1000, initial=0)
    trial_days = forms.IntegerField(min_value=0, max_value=730, initial=0, required=False, label="Free trial (days)",
                                    help_text="For a first subscription to this paid tier; 0 or empty for none.")
    trial_requires_card = forms.BooleanField(required=False, initial=True, label="Ask for a card to start the trial",
                                             help_text="Unticked: no card up front; without one added by the trial's "
                                                       "end the end user returns to the default tier.")

    def clean_features(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["features"].splitlines() if line.strip()]

    def clean_trial_days(self) -> int:
        return self.cleaned_data["trial_days"] or 0

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().lower()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError("Use a 3-letter ISO code such as usd.")
        return currency


class TierDeleteForm(forms.Form):
    move_to = forms.ModelChoiceField(queryset=Tier.objects.none(), required=False,
                                     label="Move its end users to")

    def __init__(self, *args, tier: Tier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["move_to"].queryset = tiers_for_project(project=tier.project, mode=tier.mode).exclude(pk=tier.pk)


class FilterForm(forms.Form):
    """A list page's GET form of filters, which its CSV export reuses."""

    FILTERS: tuple[str, ...] = ()

    def filters(self) -> dict:
        """The valid filters, empty ones left out (an invalid value is ignored, not an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.FILTERS if data.get(name)}


class EndUserFilterForm(FilterForm):
    """The end-user list's search, filters and order (a GET form: the CSV export reuses it)."""

    FILTERS = ("q", "plan", "status", "sort")

    SORTS = {
        "-joined": ("Newest first", ["-created_at", "-id"]),
        "joined": ("Oldest first", ["created_at", "id"]),
        "-usage": ("Most usage", ["-usage", "-created_at"]),
        "usage": ("Least usage", ["usage", "-created_at"]),
        "plan": ("Plan", ["tier__order", "tier__price_cents", "tier__slug", "-created_at"]),
    }
    STATUSES = {**SUBSCRIPTION_FILTERS, "at_limit": "At the usage limit"}

    q = forms.CharField(required=False, max_length=254, label="Search",
                        help_text="E-mail, name, usr_ id or your external id")
    plan = forms.ChoiceField(required=False, label="Plan")
    status = forms.ChoiceField(required=False, label="Status",
                               choices=[("", "Any status"), *STATUSES.items()])
    sort = forms.ChoiceField(required=False, label="Sort by",
                             choices=[(key, label) for key, (label, _) in SORTS.items()])

    def __init__(self, *args, project: Project, mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", "Any plan")] + [
            (tier.slug, tier.name) for tier in tiers_for_project(project=project, mode=mode)
        ]

    @classmethod
    def ordering(cls, sort: str | None) -> list[str]:
        return cls.SORTS.get(sort or "-joined", cls.SORTS["-joined"])[1]


class PlanChangeForm(forms.Form):
    plan = forms.ChoiceField(label="New plan")

    def __init__(self, *args, project: Project, mode: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(tier.slug, f"{tier.name} ({tier.slug})")
                                       for tier in tiers_for_project(project=project, mode=mode)]


class UsageResetForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the audit log, e.g. “counted twice by a client retry bug”.")


# --- metering: a tier's features, developer webhooks -------------------------------------------


class TierFeatureForm(forms.Form):
    """One row of a tier's features editor; a row without a key is left out."""

    key = forms.CharField(max_length=40, required=False, validators=[feature_key_validator], label="Feature",
                          widget=forms.TextInput(attrs={"placeholder": "e.g. exports"}))
    kind = forms.ChoiceField(choices=[(TierFeature.Kind.METERED, "Metered"), (TierFeature.Kind.BOOLEAN, "On/off")],
                             initial=TierFeature.Kind.METERED, label="Type")
    limit = forms.IntegerField(min_value=0, max_value=2_147_483_647, required=False, label="Limit per period",
                               help_text="Metered: empty for unlimited.")
    enabled = forms.BooleanField(required=False, initial=True, label="On", help_text="On/off features.")

    def feature(self) -> FeatureInput | None:
        data = getattr(self, "cleaned_data", None) or {}
        if not data.get("key") or data.get("DELETE"):
            return None
        return FeatureInput(key=data["key"], kind=data["kind"], limit=data.get("limit"),
                            enabled=bool(data.get("enabled")))


TierFeatureFormSet = forms.formset_factory(TierFeatureForm, extra=2, can_delete=True, max_num=50,
                                           validate_max=True)


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="Endpoint URL",
                         help_text="HTTPS, on the public internet.")
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(choices=[(t, f"{t}: {d}") for t, d in EVENT_TYPES.items()], label="Events",
                                            widget=forms.CheckboxSelectMultiple)
    thresholds = forms.CharField(max_length=60, required=False, initial="80, 100", label="Usage thresholds (%)",
                                 help_text="For usage.threshold_reached: percentages of a limit, e.g. 80, 100.")
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_thresholds(self) -> list[int]:
        try:
            return [int(part) for part in self.cleaned_data["thresholds"].replace(",", " ").split()]
        except ValueError as exc:
            raise forms.ValidationError("Whole percentages separated by commas, e.g. 80, 100.") from exc


# --- the store ---------------------------------------------------------------------------------------------


class ProductForm(forms.Form):
    """A product as people enter it: the price in the currency's units (12.50 USD, 500 JPY),
    turned into minor units here; the storefront services check the rest."""

    name = forms.CharField(max_length=64, validators=[product_name_validator], label="Id",
                           help_text="Lowercase letters, digits, - or _, e.g. poster-a2. The API and Stripe "
                                     "metadata use it; it cannot be changed later.")
    display_name = forms.CharField(max_length=120, required=False, label="Name shown to buyers",
                                   help_text="Empty: the id.")
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    price = forms.DecimalField(min_value=Decimal("0"), max_digits=12,
                               help_text="In the currency's units: 12.50 for $12.50; whole numbers for JPY, KRW "
                                         "and other currencies without cents.")
    currency = forms.CharField(max_length=3, initial="usd", help_text="3-letter ISO code, e.g. usd, eur, jpy.")
    inventory = forms.IntegerField(min_value=0, max_value=10_000_000, required=False, label="Units in stock",
                                   help_text="Units on hand, including those held by open checkouts. "
                                             "Empty: unlimited.")
    # The stock shown when the page was drawn: sales in the meantime lower the stock, and saving
    # the page unchanged must not put those units back.
    inventory_was = forms.IntegerField(required=False, widget=forms.HiddenInput)
    features = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=f"One per line, at most {MAX_FEATURES}.")
    order = forms.IntegerField(min_value=0, max_value=1000, initial=0, label="Position",
                               help_text="Lower numbers are listed first.")
    restock_on_refund = forms.BooleanField(required=False, label="Put the units back in stock when an order is "
                                                                 "refunded in full")
    image = forms.FileField(required=False, widget=forms.FileInput(attrs={
        "accept": "image/png,image/jpeg,image/webp,image/gif", "data-preview": "image-preview"}),
        help_text="PNG, JPEG, WebP or GIF, at most 5 MB. Checked, and stored without its metadata (EXIF, GPS).")
    remove_image = forms.BooleanField(required=False, label="Remove the current image")

    # Service error codes → the field they are about (others are shown above the form).
    ERROR_FIELDS = {"product_exists": "name", "invalid_currency": "currency", "invalid_price": "price",
                    "invalid_features": "features", "inventory_below_reserved": "inventory",
                    "invalid_image": "image", "image_too_large": "image"}

    def __init__(self, *args, product: Product | None = None, **kwargs):
        if product is not None:
            kwargs.setdefault("initial", {
                "name": product.name, "display_name": product.display_name, "description": product.description,
                "price": major_units(product.price_cents, product.currency), "currency": product.currency,
                "inventory": product.inventory, "inventory_was": product.inventory,
                "features": "\n".join(product.features), "order": product.order,
                "restock_on_refund": product.restock_on_refund,
            })
        super().__init__(*args, **kwargs)
        self.product = product
        if product is not None:
            self.fields["name"].disabled = True
        if product is None or product.image_id is None:
            del self.fields["remove_image"]

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().lower()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise forms.ValidationError("Use a 3-letter ISO code such as usd.")
        return currency

    def clean_features(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["features"].splitlines() if line.strip()]

    def clean(self) -> dict:
        data = super().clean()
        price, currency = data.get("price"), data.get("currency")
        if price is not None and currency:
            try:
                data["price_cents"] = minor_units(price, currency)
            except ValueError as exc:
                self.add_error("price", str(exc))
            else:
                if data["price_cents"] < 1:
                    self.add_error("price", "A product needs a price: Checkout cannot sell it for nothing.")
                elif data["price_cents"] > MAXIMUM_AMOUNT:
                    self.add_error("price", f"Stripe charges at most {format_money(MAXIMUM_AMOUNT, currency)}.")
        return data

    def product_fields(self) -> dict:
        """What the storefront services take. ``inventory`` only when the developer changed it."""
        data = self.cleaned_data
        name = self.product.name if self.product is not None else data["name"]
        fields = {"display_name": data["display_name"].strip() or name, "description": data["description"],
                  "price_cents": data["price_cents"], "currency": data["currency"], "features": data["features"],
                  "order": data["order"], "restock_on_refund": data["restock_on_refund"]}
        if self.product is None:
            fields.update(name=name, inventory=data["inventory"])
        elif data["inventory"] != data["inventory_was"]:
            fields["inventory"] = data["inventory"]
        return fields


class ProductDeleteForm(forms.Form):
    confirm_name = forms.CharField(max_length=64, label="Type the product's id to delete it")

    def __init__(self, *args, product: Product, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.product.name:
            raise forms.ValidationError(f"Type {self.product.name} exactly.")
        return value


class OrderFilterForm(FilterForm):
    """The orders page's search and filters (a GET form: the CSV export reuses it)."""

    FILTERS = ("q", "status", "since", "until")

    q = forms.CharField(required=False, max_length=254, label="Search",
                        help_text="E-mail, name, ord_ id, payment id (pi_…) or product")
    status = forms.ChoiceField(required=False, label="Status", choices=[("", "Any status"), *Order.Status.choices])
    since = forms.DateField(required=False, label="Paid from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Paid until", widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Inclusive; days are UTC.")

    @staticmethod
    def paid_between(filters: dict) -> tuple[date | None, date | None]:
        """``[since, until)`` for ``storefront.selectors.orders_search``: the "until" day is included."""
        until = filters.get("until")
        return filters.get("since"), (until + timedelta(days=1) if until else None)
