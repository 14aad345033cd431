import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dreamapi.errors import ApiError
from tenants.models import Project
from tenants.services import platform_get_or_create, project_create


class Command(BaseCommand):
    help = "Create a project for a developer and print its keys (the secret keys are shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("--developer", required=True, help="The developer's e-mail.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--type", choices=Project.Kind.values, default=Project.Kind.SAAS)
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print exactly one JSON object.")

    def handle(self, *args, developer: str, name: str, type: str, as_json: bool, **options):
        user = get_user_model().objects.filter(email__iexact=developer).first()
        if user is None:
            raise CommandError(f"No developer with e-mail {developer}.")
        platform = platform_get_or_create(user=user)
        try:
            project, keys = project_create(platform=platform, name=name, kind=type)
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        result = {"platformId": platform.public_id, "projectId": project.public_id, "keys": keys}
        if as_json:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(f"Project {project.name} ({project.public_id}) for {platform.public_id}")
        for mode, pair in keys.items():
            self.stdout.write(f"  {mode}: publishable {pair['publishableKey']}")
            self.stdout.write(f"  {mode}: secret      {pair['secretKey']}")
        self.stdout.write("Store the secret keys now: they cannot be shown again.")
