from django.core.validators import RegexValidator
from rest_framework import serializers

from dreamapi.fields import StrictCharField

from . import pkce


def _one_of(attrs: dict, *names: str) -> None:
    if sum(bool(attrs.get(name)) for name in names) != 1:
        raise serializers.ValidationError(f"Send either {' or '.join(names)}.")


class CodeExchangeSerializer(serializers.Serializer):
    code = StrictCharField(max_length=200)
    redirectUri = StrictCharField(max_length=2000)
    codeVerifier = StrictCharField(
        required=False, min_length=43, max_length=128,
        validators=[RegexValidator(pkce.VERIFIER_RE, "43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' "
                                                     "(RFC 7636).")],
        help_text="PKCE: the verifier whose S256 challenge the sign-in started with. Required with the publishable "
                  "key, and for every code issued with a code_challenge.",
    )


class TokenRefreshSerializer(serializers.Serializer):
    """Name the end user by id (secret key only), or by a token of theirs (one of the two)."""

    customerId = StrictCharField(required=False, max_length=64)
    token = StrictCharField(required=False, max_length=4096)

    def validate(self, attrs):
        _one_of(attrs, "customerId", "token")
        return attrs


class TokenRevokeSerializer(TokenRefreshSerializer):
    """Same naming as refresh: the publishable key may only sign out the holder of a token."""
