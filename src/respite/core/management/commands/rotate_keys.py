from django.core.management.base import BaseCommand

from respite.core.crypto import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the newest RESPITE_ENCRYPTION_KEY. "
        "Prepend the new key, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"re-encrypted {rotate_all()} values")
