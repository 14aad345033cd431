from rest_framework import serializers

from dreamapi.fields import StrictCharField


class CodeExchangeSerializer(serializers.Serializer):
    code = StrictCharField(max_length=200)
    redirectUri = StrictCharField(max_length=2000)


class TokenRefreshSerializer(serializers.Serializer):
    """Name the end user by id, or by a previous token of theirs (one of the two)."""

    customerId = StrictCharField(required=False, max_length=64)
    token = StrictCharField(required=False, max_length=4096)

    def validate(self, attrs):
        if bool(attrs.get("customerId")) == bool(attrs.get("token")):
            raise serializers.ValidationError("Send either customerId or token.")
        return attrs


class TokenRevokeSerializer(serializers.Serializer):
    customerId = StrictCharField(max_length=64)
