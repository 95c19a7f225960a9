from django.core.management.base import BaseCommand

from respite.core.periodic import periodic_jobs
from respite.core.privacy import vacuum_worker_tables


class Command(BaseCommand):
    help = (
        "Delete data kept only for a while, now: every purge job `respite worker` also runs on its own "
        "schedule (unsaved screenings, expired sessions, throttle counters, finished tasks...)."
    )

    def handle(self, *args, **options):
        for job in periodic_jobs().values():
            if job.purge:
                self.stdout.write(f"{job.name}: {job.run()}")
        # Deleted rows leave PostgreSQL's table files only when vacuumed (docs/security.md).
        self.stdout.write(f"vacuum_worker_tables: {vacuum_worker_tables()}")
