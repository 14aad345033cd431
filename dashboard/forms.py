"""Forms of the dashboard pages. They only validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator

from billing.models import Tier, tier_slug_validator
from billing.selectors import SUBSCRIPTION_FILTERS, tiers_for_project
from tenants.models import Project


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Project.Kind.choices, initial=Project.Kind.SAAS, label="Type")


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


class EndUserFilterForm(forms.Form):
    """The end-user list's search, filters and order (a GET form: the CSV export reuses it)."""

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

    def filters(self) -> dict[str, str]:
        """The valid filters, empty ones left out (an invalid value is ignored, not an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in ("q", "plan", "status", "sort") if data.get(name)}

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
