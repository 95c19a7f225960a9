from __future__ import annotations

import random
import re
from datetime import timedelta

from django.utils import timezone

from respite.pulse.models import Round, Survey, SurveyLink, Unit, do_submit


def make_units(org, spec: dict[str, str | None]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for name, parent in spec.items():
        units[name] = Unit.objects.create(
            organization=org, name=name, parent=units.get(parent) if parent else None
        )
    return units


def make_survey(org, *, rounds: int = 1, status=Survey.Status.OPEN, **kwargs) -> Survey:
    kwargs.setdefault("instruments", ["burnout"])
    kwargs.setdefault("work_items", ["workload"])
    kwargs.setdefault("mode", Survey.Mode.INVITATION)
    survey = Survey.objects.create(
        organization=org, title=kwargs.pop("title", "Pulse"), status=status, **kwargs
    )
    today = timezone.localdate()
    for i in range(rounds):
        start = today - timedelta(days=30 * (rounds - 1 - i))
        Round.objects.create(
            survey=survey, number=i + 1, starts_on=start, ends_on=start + timedelta(days=6)
        )
    if survey.mode == Survey.Mode.LINK:
        for unit in Unit.objects.filter(organization=org):
            SurveyLink.objects.get_or_create(survey=survey, unit=unit)
    return survey


def answer(
    survey: Survey,
    rnd: Round,
    unit: Unit,
    role: str = "",
    burnout: int = 2,
    workload: int = 3,
    comment: str = "",
) -> None:
    answers = {"burnout__1": burnout}
    for item in survey.work_items:
        answers[f"work__{item}"] = workload
    do_submit(survey, rnd, unit, role, answers, comment)


def populate(
    survey: Survey, sizes: dict[tuple[Round, Unit, str], int], seed: int = 1, release: bool = True
) -> None:
    """Answer ``sizes`` times per round × unit × role, then (by default) close those rounds with a
    final release, so dashboards show them."""
    rng = random.Random(seed)
    for (rnd, unit, role), n in sizes.items():
        for _ in range(n):
            answer(survey, rnd, unit, role, burnout=rng.randint(1, 5), workload=rng.randint(1, 5))
    if release:
        from respite.pulse.releases import do_release

        for rnd in {r for r, _u, _g in sizes}:
            do_release(survey, rnd, final=True)
        survey.__dict__.pop("_pulse_releases", None)


def release_all(survey: Survey, *, final: bool = True, today=None) -> int:
    """Release every started round of a survey now (final by default); returns how many."""
    from respite.pulse.releases import do_release

    done = 0
    for rnd in survey.rounds.order_by("starts_on"):
        done += do_release(survey, rnd, final=final, today=today) is not None
    survey.__dict__.pop("_pulse_releases", None)
    return done


def open_invitation(client, link: str) -> str:
    """What a worker's browser does with an invitation link (``…/pulse/#CODE``): app.js posts the
    code with the page's form, and the answer page follows. Returns that page's path."""
    from urllib.parse import urlsplit

    page, _, raw = link.partition("#")
    response = client.post(urlsplit(page).path, {"token": raw})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def page_as_read(response) -> bytes:
    """The page as a reader compares it: the per-response CSP nonce and CSRF tokens say nothing, and
    the address it was asked at (echoed in the language switch) is the reader's own."""
    page = re.sub(rb'nonce="[^"]*"', b'nonce=""', response.content)
    page = re.sub(rb"/t/[^/\"]+/", b"/t/TOKEN/", page)
    return re.sub(rb"\b[A-Za-z0-9]{64}\b", b"csrf", page)  # Django's masked CSRF tokens
