from rest_framework import serializers

from dreamapi.fields import MetadataField, StrictCharField, StrictEmailField

from .models import EndUser


def iso(dt):
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def customer_json(end_user: EndUser) -> dict:
    """An end user as the API shows it (camelCase, as in the original service)."""
    return {
        "id": end_user.public_id,
        "email": end_user.email,
        "firstName": end_user.first_name,
        "lastName": end_user.last_name,
        "plan": end_user.tier.slug,
        "metadata": end_user.metadata,
        "emailVerified": end_user.email_verified,
        "createdAt": iso(end_user.created_at),
        "updatedAt": iso(end_user.updated_at),
    }


class CustomerSerializer(serializers.Serializer):
    """The shape of ``customer_json`` (documentation of the response)."""

    id = serializers.CharField(help_text="usr_…")
    email = serializers.EmailField()
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    plan = serializers.CharField(help_text="The tier id, e.g. 'free'.")
    metadata = serializers.DictField()
    emailVerified = serializers.BooleanField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


class CustomerCreateSerializer(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(required=False, allow_blank=True, max_length=128, trim_whitespace=False,
                               write_only=True)
    firstName = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    lastName = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    plan = StrictCharField(required=False, allow_blank=False, max_length=40)
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
