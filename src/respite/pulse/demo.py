"""Demo data: units, a quarterly survey with two past rounds and one open round, answers generated
straight into the normal submit path (so rollups are real), for Riverside."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from respite.pulse.models import ResultsNote, Round, Survey, Unit, do_submit

UNITS = [
    ("Riverside Hospital", None),
    ("Emergency", "Riverside Hospital"),
    ("Intensive care", "Riverside Hospital"),
    ("Medical-surgical", "Riverside Hospital"),
    ("Eastside Clinic", None),
    ("Family medicine", "Eastside Clinic"),
    ("Environmental services", None),
]


def load(orgs) -> None:
    riverside = orgs[0]
    if Survey.objects.filter(organization=riverside, title="Quarterly pulse").exists():
        return
    units: dict[str | None, Unit] = {}
    for name, parent in UNITS:
        units[name], _ = Unit.objects.get_or_create(
            organization=riverside, name=name, defaults={"parent": units.get(parent)}
        )
    survey = Survey.objects.create(
        organization=riverside,
        title="Quarterly pulse",
        instruments=["burnout"],
        work_items=["workload", "staffing", "voice", "manager_support"],
        allow_comments=True,
        status=Survey.Status.OPEN,
        mode=Survey.Mode.INVITATION,
    )
    today = timezone.localdate()
    rounds = [
        Round.objects.create(
            survey=survey,
            number=i + 1,
            starts_on=today - timedelta(days=91 * (2 - i)),
            ends_on=today - timedelta(days=91 * (2 - i)) + timedelta(days=13),
        )
        for i in range(3)
    ]
    rng = random.Random(7)  # noqa: S311 - demo data
    sizes = {
        "Emergency": 22,
        "Intensive care": 14,
        "Medical-surgical": 30,
        "Family medicine": 12,
        "Environmental services": 9,
        "Riverside Hospital": 3,
        "Eastside Clinic": 2,
    }
    roles = riverside.role_groups or [""]
    for n, rnd in enumerate(rounds):
        for name, size in sizes.items():
            for _ in range(size):
                burn = min(5, max(1, round(rng.gauss(2.8 - 0.3 * n, 1))))
                answers = {"burnout__1": burn}
                for item in survey.work_items:
                    answers[f"work__{item}"] = min(5, max(1, round(rng.gauss(3 + 0.2 * n, 1))))
                do_submit(
                    survey,
                    rnd,
                    units[name],
                    rng.choice([*roles, ""]),
                    answers,
                    rng.choice(
                        ["", "", "More staff on nights, please.", "Breaks keep getting cancelled."]
                    ),
                )
    # Ended rounds get their final release; the open one an interim release, as the worker would.
    from respite.pulse.releases import do_release

    for rnd in rounds:
        do_release(survey, rnd, final=rnd.ends_on < today)
    # Headcounts for participation rates, and the workers' page of the last closed round.
    for name, size in sizes.items():
        units[name].headcount = size + size // 3 + 1
        units[name].save(update_fields=["headcount"])
    ResultsNote.objects.create(
        round=rounds[1],
        published=True,
        actions_en="Two float nurses on nights from next month\nBreaks covered by the charge nurse",
        actions_es=(
            "Dos enfermeras de relevo en las noches desde el próximo mes\n"
            "La enfermera a cargo cubre los descansos"
        ),
    )
