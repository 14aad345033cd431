"""Delete what the hosted sign-up can no longer use (also run hourly by Celery beat)."""

from django.core.management.base import BaseCommand

from signup.services import signup_records_cleanup


class Command(BaseCommand):
    help = ("Delete expired sign-in codes, signing keys no longer published, finished or stale pending sign-ups, "
            "and old unsent e-mail records.")

    def handle(self, *args, **options):
        counts = signup_records_cleanup()
        self.stdout.write("deleted " + ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items()))
