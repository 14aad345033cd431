"""Key-authenticated sign-up endpoints under /api/auth/ (code exchange)."""

urlpatterns: list = []
