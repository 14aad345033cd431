from django.core.management.base import BaseCommand, CommandError

from dreamapi.errors import ApiError
from tenants.services import developer_create


class Command(BaseCommand):
    help = "Create a developer account with a verified e-mail and its platform."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, email: str, password: str, **options):
        try:
            user = developer_create(email=email, password=password)
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created developer {user.email} ({user.platform.public_id})")
