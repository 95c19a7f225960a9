from django.core.management.base import BaseCommand

from respite.core.periodic import periodic_jobs


class Command(BaseCommand):
    help = (
        "Delete data kept only for a while, now: every purge job `respite worker` also runs on its own "
        "schedule (unsaved screenings, expired sessions, throttle counters, finished tasks...)."
    )

    def handle(self, *args, **options):
        jobs = [job for job in periodic_jobs().values() if job.purge]
        # Vacuum last: deleted rows leave PostgreSQL's table files only when vacuumed (docs/security.md).
        jobs.sort(key=lambda job: job.name == "vacuum_worker_tables")
        for job in jobs:
            self.stdout.write(f"{job.name}: {job.run()}")
