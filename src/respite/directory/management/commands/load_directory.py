from django.core.management.base import BaseCommand, CommandError

from respite.directory.demo import SEED_FILE, load_seed


class Command(BaseCommand):
    help = (
        "Load the shipped resource directory (HSDS JSON) idempotently: records are matched by id."
    )

    def handle(self, *args, **options):
        report = load_seed()
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError(f"{len(report.errors)} invalid record(s) in {SEED_FILE}")
        self.stdout.write(
            f"Directory loaded: {report.created} new, {report.updated} updated services."
        )
