from django.core.management.base import BaseCommand

from respite.directory.hsds import export_csv, export_json


class Command(BaseCommand):
    help = "Export the whole directory as HSDS 3 JSON, or with --format csv as a folder of HSDS CSV tables."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, file, format="json", **options):  # noqa: A002 - CLI option name
        counts = export_csv(file) if format == "csv" else export_json(file)
        self.stdout.write(
            f"Exported {counts['services']} services from {counts['organizations']} organizations "
            f"to {file}."
        )
