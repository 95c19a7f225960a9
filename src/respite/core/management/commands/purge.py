from django.core.management.base import BaseCommand

from respite.core.privacy import purge_throttles
from respite.screening.models import Screening


class Command(BaseCommand):
    help = "Delete data kept only for a while: unsaved screenings older than a day, old throttle counters."

    def handle(self, *args, **options):
        screenings = Screening.objects.unsaved_expired().delete()[0]
        throttles = purge_throttles()
        self.stdout.write(f"purged {screenings} unsaved screening rows and {throttles} throttle counters")
