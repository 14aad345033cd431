from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from billing.models import Tier
from billing.services import active_connection, stripe_connect_finish, tier_create
from tenants.models import ApiKey, Mode, Project
from tenants.services import api_key_rotate, developer_create, project_create

DEMO_EMAIL = "demo@dream-api.local"
DEMO_PASSWORD = "demo-password-123"
DEMO_PROJECT = "Demo app"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Command(BaseCommand):
    help = (
        "Create the demo developer and project if absent and print the dashboard login and the test keys. "
        "Secret keys are never stored in clear, so the demo's test secret key is regenerated on every run. "
        "With the local Stripe stand-in, the demo project is also connected to a stand-in Stripe account "
        "and has a paid 'pro' tier, so the whole upgrade journey works with no Stripe account."
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
        stripe_note = ""
        if settings.STRIPE_USES_STANDIN:
            stripe_note = self._stripe_standin(project, base)
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


