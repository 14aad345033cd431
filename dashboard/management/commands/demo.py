from io import BytesIO
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

from billing.models import Tier
from billing.services import active_connection, stripe_connect_finish, tier_create
from signup.selectors import signup_settings_for_project
from signup.services import signup_settings_update
from storefront.models import Product
from storefront.services import product_create, product_set_image, product_update
from tenants.models import ApiKey, Mode, Project
from tenants.services import api_key_rotate, developer_create, project_create, project_update

DEMO_EMAIL = "demo@dream-api.local"
DEMO_PASSWORD = "demo-password-123"
DEMO_PROJECT = "Demo app"
DEMO_PRODUCT = "sticker-pack"
# Where examples/ serve from (examples/browser on 5173, examples/server on 5000): the demo
# project lets their browsers call it and its hosted sign-up pages send people back there.
EXAMPLE_ORIGINS = ("http://localhost:5173", "http://localhost:5000")


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Command(BaseCommand):
    help = (
        "Create the demo developer and project if absent and print the dashboard login and the test keys. "
        "Secret keys are never stored in clear, so the demo's test secret key is regenerated on every run. "
        "With the local Stripe stand-in, the demo project is also connected to a stand-in Stripe account "
        "and has a paid 'pro' tier and a sample product in stock, so the upgrade journey and the store work "
        "with no Stripe account. The examples' origins (examples/) are allowed on the demo project."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        user = get_user_model().objects.filter(email__iexact=DEMO_EMAIL).first()
        if user is None:
            user = developer_create(email=DEMO_EMAIL, password=DEMO_PASSWORD)
        project = user.platform.projects.filter(name=DEMO_PROJECT).first()
        if project is None:
            project, keys = project_create(platform=user.platform, name=DEMO_PROJECT)
            secret = keys[Mode.TEST]["secretKey"]
        else:
            secret = api_key_rotate(project=project, mode=Mode.TEST, kind=ApiKey.Kind.SECRET).raw
        publishable = project.api_keys.get(mode=Mode.TEST, kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
        base = f"http://localhost:{port}"
        self._allow_example_origins(project)
        stripe_note = store_note = ""
        if settings.STRIPE_USES_STANDIN:
            stripe_note = self._stripe_standin(project, base)
            store_note = self._store(project, base, publishable.publishable_key)
        self.stdout.write(
            f"""
  dream-api demo
  ---------------------------------------------------------------
  Dashboard   {base}/dashboard/   (log in: {DEMO_EMAIL} / {DEMO_PASSWORD})
  Platform    {user.platform.public_id}
  Project     {project.public_id}  ({project.name})
  Test keys   publishable {publishable.publishable_key}
              secret      {secret}   (new on every run)
{stripe_note}
  Try the upgrade journey (end user hits the free limit, pays, gets more):
    SK={secret}
    curl -s -X POST {base}/api/customers -H "Authorization: Bearer $SK" \\
      -H "Content-Type: application/json" -d '{{"email": "someone@example.com"}}'
    USER=usr_...   # the "id" from the answer
    curl -s -X POST {base}/api/data -H "Authorization: Bearer $SK" -H "X-User-Id: $USER"
    curl -s -X POST {base}/api/create-checkout -H "Authorization: Bearer $SK" -H "X-User-Id: $USER" \\
      -H "Content-Type: application/json" -d '{{"tier": "pro"}}'
    # open the "url" in a browser and press Pay; then the same /api/data call shows the pro limit
{store_note}
  Examples (examples/): their origins {", ".join(EXAMPLE_ORIGINS)} are allowed on this project
  API reference: {base}/api/docs/
  ---------------------------------------------------------------
"""
        )

    def _stripe_standin(self, project: Project, base: str) -> str:
        """Connect the demo project to a stand-in account (as a developer would through the
        OAuth page), give it a paid tier, and set up the platform plan."""
        try:
            if active_connection(project_id=project.id, mode=Mode.TEST) is None:
                stripe_connect_finish(project=project, mode=Mode.TEST, code=self._standin_oauth_code())
            if not Tier.objects.filter(project=project, mode=Mode.TEST, slug="pro").exists():
                tier_create(project=project, mode=Mode.TEST, slug="pro", name="Pro", price_cents=1900,
                            currency="usd", interval="month", monthly_limit=10_000,
                            features=["10,000 calls a month", "Priority support"], popular=True, order=1)
            call_command("platformplan_setup", site_url=base, stdout=open("/dev/null", "w"))
        except Exception as exc:  # the demo still runs; say what is missing
            return f"\n  Stripe stand-in not ready ({exc}); billing features will fail until it runs.\n"
        connection = active_connection(project_id=project.id, mode=Mode.TEST)
        return (f"  Stripe      local stand-in at {settings.STRIPE_API_BASE}, demo project connected as "
                f"{connection.account_id}\n")

    def _allow_example_origins(self, project: Project) -> None:
        """Add the examples' origins to the project's CORS origins and to its sign-up pages'
        redirect origins (keeping whatever the developer put there)."""
        missing = [o for o in EXAMPLE_ORIGINS if o not in project.allowed_origins]
        if missing:
            project_update(project=project, allowed_origins=[*project.allowed_origins, *missing])
        current = signup_settings_for_project(project=project)
        if current.pk is None or any(o not in current.redirect_origins for o in EXAMPLE_ORIGINS):
            signup_settings_update(
                project=project, display_name=current.display_name, logo_url=current.logo_url,
                accent_color=current.accent_color, redirect_origins=[*current.redirect_origins, *EXAMPLE_ORIGINS],
                oidc_issuer=current.oidc_issuer, oidc_client_id=current.oidc_client_id, oidc_client_secret=None,
                oidc_button_label=current.oidc_button_label,
            )

    def _store(self, project: Project, base: str, publishable: str) -> str:
        """A sample product with stock and an image, and how to buy it."""
        try:
            product = Product.objects.filter(project=project, mode=Mode.TEST, name=DEMO_PRODUCT).first()
            connection = active_connection(project_id=project.id, mode=Mode.TEST)
            if product is not None and connection and product.stripe_account_id != connection.account_id:
                product = product_update(product=product)  # made on an account since replaced: sync it there
            if product is None:
                product = product_create(project=project, mode=Mode.TEST, name=DEMO_PRODUCT,
                                         display_name="Sticker pack", description="Five dream-api stickers.",
                                         price_cents=500, currency="usd", inventory=25,
                                         features=["5 stickers", "Matte vinyl"], restock_on_refund=True)
                product = product_set_image(product=product, upload=SimpleUploadedFile(
                    "stickers.png", _sticker_image(), content_type="image/png"))
        except Exception as exc:  # the demo still runs; say what is missing
            return f"\n  Store demo not ready ({exc}).\n"
        return f"""
  Try the store ({product.display_name}: {product.available} in stock):
    curl -s {base}/api/products -H "X-Publishable-Key: {publishable}"
    curl -s -X POST {base}/api/cart/checkout -H "Authorization: Bearer $SK" -H "Content-Type: application/json" \\
      -d '{{"items": [{{"priceId": "{product.stripe_price_id}", "quantity": 2}}], "email": "buyer@example.com"}}'
    # open the "url" and press Pay; the order is at {base}/dashboard/projects/{project.public_id}/orders/
"""

    def _standin_oauth_code(self) -> str:
        form = urlencode({"client_id": settings.STRIPE_CONNECT_CLIENT_ID_TEST, "state": "demo",
                          "redirect_uri": "http://localhost/demo", "scope": "read_write",
                          "response_type": "code", "decision": "allow", "business_name": "Demo developer"}).encode()
        request = Request(f"{settings.STRIPE_API_BASE}/oauth/authorize", data=form, method="POST")
        try:
            build_opener(_NoRedirect).open(request, timeout=5)
        except Exception as exc:  # urllib raises on the (expected) redirect
            location = getattr(exc, "headers", {}).get("Location", "") if hasattr(exc, "headers") else ""
            code = parse_qs(urlsplit(location).query).get("code", [""])[0]
            if code:
                return code
            raise
        raise RuntimeError("the stand-in did not return an authorization code")




def _sticker_image() -> bytes:
    """A small generated PNG for the sample product."""
    image = Image.new("RGB", (240, 240), (59, 91, 219))
    draw = ImageDraw.Draw(image)
    for i, colour in enumerate([(255, 224, 102), (255, 255, 255), (235, 251, 238)]):
        draw.ellipse((30 + i * 50, 40 + i * 45, 130 + i * 50, 140 + i * 45), fill=colour)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
