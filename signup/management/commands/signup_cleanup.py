"""Delete expired sign-in codes and signing keys past their grace period (also run hourly by Celery beat)."""

from django.core.management.base import BaseCommand

from signup.services import signup_records_cleanup


class Command(BaseCommand):
    help = "Delete expired sign-in codes and signing keys no longer published."

    def handle(self, *args, **options):
        codes, keys = signup_records_cleanup()
        self.stdout.write(f"deleted {codes} sign-in code(s) and {keys} retired signing key(s)")
