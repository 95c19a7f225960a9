import json

from django.core.management.base import BaseCommand, CommandError

from respite.screening import instruments


class Command(BaseCommand):
    help = "Score answers to an instrument and print score, band and flags as JSON. Stores nothing."
    # Scoring touches no database, URL or template: skip the system checks, which import the whole
    # URLconf (every app's views and the API schemas) and would triple the command's start-up cost.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("instrument", help="Instrument id, e.g. phq9. 'list' prints the ids.")
        parser.add_argument(
            "--answers",
            default="",
            help="Comma-separated values in item order; '-' for a skipped item.",
        )
        parser.add_argument("--lang", default="en", choices=["en", "es"])

    def handle(self, *args, instrument, answers, lang, **options):
        if instrument == "list":
            self.stdout.write(json.dumps(sorted(instruments.registry())))
            return
        values = [v.strip() for v in answers.split(",")] if answers.strip() else []
        try:
            result = instruments.get(instrument).score_list(values)
        except instruments.AnswerError as err:
            raise CommandError(str(err)) from None
        self.stdout.write(json.dumps(result.as_dict(lang), ensure_ascii=False))
