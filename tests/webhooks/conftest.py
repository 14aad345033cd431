from .receiver import receiver  # noqa: F401  (the HTTPS receiver fixture)
