from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from signup import crypto


class Command(BaseCommand):
    help = ("Re-encrypt every stored secret (each *_encrypted column) with the first of FIELD_ENCRYPTION_KEYS, "
            "after adding a key or moving off the SECRET_KEY-derived one. Safe to run again and while serving.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")

    def handle(self, *args, dry_run: bool, **options):
        unreadable_total = 0
        for model in apps.get_models():
            for field in (f.name for f in model._meta.concrete_fields if f.name.endswith("_encrypted")):
                moved, current, unreadable = self._reencrypt(model, field, dry_run=dry_run)
                unreadable_total += unreadable
                verb = "would be re-encrypted" if dry_run else "re-encrypted"
                self.stdout.write(f"{model._meta.label}.{field}: {moved} {verb}, {current} already current, "
                                  f"{unreadable} unreadable")
        if unreadable_total:
            raise CommandError(f"{unreadable_total} value(s) could not be decrypted with any configured key; "
                               "they were left as they are.")

    @staticmethod
    def _reencrypt(model, field: str, *, dry_run: bool) -> tuple[int, int, int]:
        moved = current = unreadable = 0
        rows = model._default_manager.exclude(**{f"{field}__isnull": True}).exclude(**{field: ""})
        for pk, token in rows.values_list("pk", field).iterator():
            if crypto.is_current(token):
                current += 1
                continue
            try:
                new_token = crypto.reencrypt(token)
            except crypto.InvalidToken:
                unreadable += 1
                continue
            if dry_run:
                moved += 1
                continue
            # Only if nobody rewrote the value meanwhile (their value is under the current key).
            moved += model._default_manager.filter(pk=pk, **{field: token}).update(**{field: new_token})
        return moved, current, unreadable
