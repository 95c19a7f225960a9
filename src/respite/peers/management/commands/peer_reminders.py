from django.core.management.base import BaseCommand

from respite.peers import reminders


class Command(BaseCommand):
    help = "Remind peer supporters of requests not yet contacted; escalate missed targets to program leads."

    def handle(self, *args, **options):
        counts = reminders.run()
        self.stdout.write(
            "peer_reminders: {reminded} reminded, {reoffered} re-offered, {escalated} escalated".format(
                **counts
            )
        )
