"""The customer (end user) shapes of the API: each serializer renders a response and documents it.

A customer is the original service's ``Customer`` (``id``, ``email``, ``firstName``,
``lastName``, ``plan``, ``publishableKey``, ``createdAt`` in epoch milliseconds) plus ours
(``externalId``, ``metadata``, ``emailVerified``, ``updatedAt``, and ``created``/``updated``
as ISO 8601 text).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from dreamapi.fields import EpochMillisField, MetadataField, StrictCharField, StrictEmailField, UtcTimeField, utc_text

from .models import EXTERNAL_ID_MAX_LENGTH, EXTERNAL_ID_PATTERN, OUR_ID_PREFIX, ApiKey, EndUser


def iso(dt):
    return utc_text(dt) if dt else None


class CustomerSerializer(serializers.Serializer):
    """An end user. Pass ``context={"publishable_key": …}`` (the key context has it) to save a query."""

    id = serializers.CharField(source="public_id", help_text="Our id: usr_…")
    externalId = serializers.CharField(source="external_id", allow_null=True,
                                       help_text="Your own id for this end user, if you gave one.")
    email = serializers.CharField(help_text="Empty only for an end user created from an external id by "
                                            "POST /api/data.")
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    plan = serializers.CharField(source="tier.slug", help_text="The tier id (slug), e.g. 'free'.")
    publishableKey = serializers.SerializerMethodField(help_text="The project's publishable key of this mode.")
    metadata = MetadataField()
    emailVerified = serializers.BooleanField(source="email_verified")
    createdAt = EpochMillisField(source="created_at")
    updatedAt = EpochMillisField(source="updated_at")
    created = UtcTimeField(source="created_at", help_text="createdAt as ISO 8601 (UTC).")
    updated = UtcTimeField(source="updated_at", help_text="updatedAt as ISO 8601 (UTC).")

    def get_publishableKey(self, end_user: EndUser) -> str:
        key = self.context.get("publishable_key")
        if key is None:
            key = (
                ApiKey.objects.filter(project_id=end_user.project_id, mode=end_user.mode,
                                      kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
                .values_list("publishable_key", flat=True).first()
            ) or ""
            self.context["publishable_key"] = key
        return key


def customer_json(end_user: EndUser, *, publishable_key: str | None = None) -> dict:
    context = {} if publishable_key is None else {"publishable_key": publishable_key}
    return CustomerSerializer(end_user, context=context).data


class CustomerEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    customer = CustomerSerializer()


class PaginationSerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1)
    limit = serializers.IntegerField(min_value=1, max_value=100)
    total = serializers.IntegerField(min_value=0)
    hasMore = serializers.BooleanField()


class CustomerPageSerializer(serializers.Serializer):
    customers = CustomerSerializer(many=True)
    pagination = PaginationSerializer()


class DeletedCustomerSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    email = serializers.CharField()
    externalId = serializers.CharField(source="external_id", allow_null=True)


class CustomerDeletedSerializer(serializers.Serializer):
    """``DELETE /api/customers/{id}``, as the original answered it."""

    success = serializers.BooleanField()
    message = serializers.CharField()
    deleted = DeletedCustomerSerializer()


class ExternalIdField(StrictCharField):
    default_error_messages = {"ours": f"An external id may not start with '{OUR_ID_PREFIX}': such ids are ours."}

    def __init__(self, **kwargs):
        super().__init__(max_length=EXTERNAL_ID_MAX_LENGTH, help_text=(
            f"Your own id for the end user (unique in the project and mode): 1–{EXTERNAL_ID_MAX_LENGTH} letters, "
            f"digits or . _ : @ | + -, starting with a letter or digit, not starting with '{OUR_ID_PREFIX}'. "
            "X-User-Id and the customer paths accept it instead of the usr_… id."), **kwargs)
        self.validators.append(RegexValidator(EXTERNAL_ID_PATTERN, "Use letters, digits or . _ : @ | + -, "
                                                                   "starting with a letter or digit."))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value.startswith(OUR_ID_PREFIX):
            self.fail("ours")
        return value


class CustomerCreateSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(required=False, allow_blank=True, max_length=128, trim_whitespace=False,
                               write_only=True)
    firstName = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    lastName = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    plan = StrictCharField(required=False, allow_blank=False, max_length=40)
    externalId = ExternalIdField(required=False)
    metadata = MetadataField(required=False, default=dict)


class CustomerUpdateSerializer(serializers.Serializer):
    firstName = StrictCharField(required=False, allow_blank=True, max_length=100)
    lastName = StrictCharField(required=False, allow_blank=True, max_length=100)
    plan = StrictCharField(required=False, allow_blank=False, max_length=40)
    metadata = MetadataField(required=False)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["This field cannot be changed (or does not exist)."] for name in sorted(unknown)}
            )
        if not attrs:
            raise serializers.ValidationError("Send at least one of: firstName, lastName, plan, metadata.")
        return attrs


class CustomerListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=254, default="")
    # Capped so page × limit stays far inside the database's 64-bit OFFSET (found by schemathesis).
    page = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000, default=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)
