from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tenants.models import ApiKey, Mode
from tenants.services import api_key_rotate, developer_create, project_create

DEMO_EMAIL = "demo@dream-api.local"
DEMO_PASSWORD = "demo-password-123"
DEMO_PROJECT = "Demo app"


class Command(BaseCommand):
    help = (
        "Create the demo developer and project if absent and print the dashboard login and the test keys. "
        "Secret keys are never stored in clear, so the demo's test secret key is regenerated on every run."
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
        self.stdout.write(
            f"""
  dream-api demo
  ---------------------------------------------------------------
  Dashboard   {base}/dashboard/   (log in: {DEMO_EMAIL} / {DEMO_PASSWORD})
  Platform    {user.platform.public_id}
  Project     {project.public_id}  ({project.name})
  Test keys   publishable {publishable.publishable_key}
              secret      {secret}   (new on every run)

  Try it:
    curl -s -X POST {base}/api/customers -H "Authorization: Bearer {secret}" \\
      -H "Content-Type: application/json" -d '{{"email": "someone@example.com"}}'
    curl -s -X POST {base}/api/data -H "Authorization: Bearer {secret}" -H "X-User-Id: <customer id>"
  ---------------------------------------------------------------
"""
        )
