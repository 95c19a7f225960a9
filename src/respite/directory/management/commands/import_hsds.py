from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from respite.directory.hsds import import_data, import_json, read_csv


class Command(BaseCommand):
    help = (
        "Import an HSDS 3 file: JSON ({organizations, services}) or the tabular form (a folder of CSV "
        "files). Invalid records are reported with their reason; the others are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="HSDS JSON file, or folder of HSDS CSV files with --format csv"
        )
        parser.add_argument(
            "--format",
            choices=["json", "csv"],
            default=None,
            help="Default: csv for a folder, json otherwise",
        )

    def handle(self, *args, file, format=None, **options):  # noqa: A002 - CLI option name
        path = Path(file)
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        fmt = format or ("csv" if path.is_dir() else "json")

        def progress(items):
            return tqdm(
                items, desc="services", unit="svc", file=self.stderr._out, disable=len(items) < 50
            )

        if fmt == "csv":
            if not path.is_dir():
                raise CommandError(f"{path}: --format csv expects a folder of HSDS CSV files")
            report = import_data(read_csv(path), progress=progress)
        else:
            report = import_json(path, progress=progress)
        for error in report.errors:
            self.stderr.write(f"invalid: {error}")
        self.stdout.write(
            f"Imported {report.imported} services ({report.created} new, {report.updated} updated); "
            f"{len(report.errors)} invalid record(s) skipped."
        )
        if report.errors and not report.imported:
            raise CommandError("nothing imported")
