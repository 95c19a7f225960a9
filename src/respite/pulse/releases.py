"""Release points: figures are computed and stored when a round closes and, during a long round, on
a schedule; every page, API answer and export reads the last release, never the live rollups.

Why: a live figure read before and after one new response gives that response exactly, and a
figure recomputed (and re-noised) after every response can be averaged. A stored release changes
only at a release point, and a release during a round happens only when the people new since the
last release pass the disclosure check on their own (``core.disclosure.releases_are_safe``): every
figure that changed gained at least k respondents, and no combination of old and new figures
isolates fewer than k people.

Rules, in the order they are applied:

* A round gets at most ``MAX_RELEASES_PER_ROUND`` releases (interim ones plus the final one), two
  with differential privacy on, and an interim release at most every ``INTERIM_EVERY`` days. With
  differential privacy, each release of a changed figure draws its noise once (stored in
  ``NoiseDraw``, keyed by the frozen n): the number of draws an attacker can average is this cap.
* The final release happens once the round's last day has passed (or the survey is closed). When
  the people new since the last interim release cannot be added safely, the final release repeats
  the last one: those answers stay unreleased rather than risk anyone.
* Comments are released only with a final release, in invitation mode, when the round has at least
  the comment threshold of respondents (every one of them from an invitation).
* Shared-link surveys release the whole organization only: the admin holding the link can answer it
  as often as they like, so no smaller group is safe.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from respite.core.disclosure import (
    ALL,
    ROOT,
    RoundPlan,
    Structure,
    plan_round,
    releases_are_safe,
    union_plan,
)
from respite.pulse import items as library
from respite.pulse.models import Comment, Release, Rollup, Round, Survey

MAX_RELEASES_PER_ROUND = 4
# With differential privacy every release of a changed figure is a fresh draw an attacker can average:
# one interim release and the final one, so at most two draws per figure and round.
MAX_RELEASES_PER_ROUND_DP = 2
INTERIM_EVERY = timedelta(days=7)

Counts = dict[tuple[int, str], int]


def atom_key(unit: int, role: str) -> str:
    return f"{unit}|{role}"


def parse_key(key: str) -> tuple[int, str]:
    unit, _sep, role = key.partition("|")
    return int(unit), role


def plan_to_json(rp: RoundPlan) -> dict:
    return {
        "units": sorted(u for u in rp.units if u is not ROOT),
        "root": ROOT in rp.units,
        "roles": sorted(g for g in rp.roles if g is not ALL),
        "all": ALL in rp.roles,
        "crossings": rp.crossings,
    }


def plan_from_json(data: dict) -> RoundPlan:
    units: set[int | None] = set(data.get("units", []))
    roles: set[str | None] = set(data.get("roles", []))
    if data.get("root"):
        units.add(ROOT)
    if data.get("all"):
        roles.add(ALL)
    return RoundPlan(units, roles, bool(data.get("crossings", True)))


def counts_of(release: Release) -> Counts:
    return {parse_key(k): int(n) for k, n in release.counts.items()}


def _live(round_: Round) -> tuple[Counts, dict[str, dict[str, list[float]]]]:
    sums: dict[str, dict[str, list[float]]] = defaultdict(dict)
    counts: Counts = {}
    for u, g, measure, n, s, q in Rollup.objects.filter(round=round_).values_list(
        "unit_id", "role_group", "measure", "n", "total", "total_sq"
    ):
        sums[measure][atom_key(u, g)] = [n, s, q]
        if measure == library.RESPONDENTS:
            counts[(u, g)] = n
    return counts, dict(sums)


def _structure(survey: Survey) -> Structure:
    from respite.pulse import reporting

    return reporting.structure(survey)


def _plan(survey: Survey, structure: Structure, counts: Counts) -> RoundPlan:
    if not survey.by_invitation:
        return RoundPlan({ROOT}, {ALL}, True)  # shared link: the whole organization only
    return plan_round(structure, counts, survey.k())


def _batches(history: list[Counts], current: Counts) -> list[Counts]:
    out: list[Counts] = []
    before: Counts = {}
    for snapshot in [*history, current]:
        keys = set(snapshot) | set(before)
        out.append({a: abs(snapshot.get(a, 0) - before.get(a, 0)) for a in keys})
        before = snapshot
    return out


def do_release(
    survey: Survey, round_: Round, *, final: bool, today: date | None = None
) -> Release | None:
    """Release a round's figures if the rules above allow it; returns the new release or None."""
    today = today or timezone.localdate()
    with transaction.atomic():
        previous = list(Release.objects.select_for_update().filter(round=round_).order_by("number"))
        if previous and previous[-1].final:
            return None
        cap = MAX_RELEASES_PER_ROUND_DP if survey.dp_enabled else MAX_RELEASES_PER_ROUND
        if not final and (
            len(previous) >= cap - 1
            or (previous and today - previous[-1].released_on < INTERIM_EVERY)
        ):
            return None
        counts, sums = _live(round_)
        structure = _structure(survey)
        k = survey.k()
        history = [counts_of(r) for r in previous]
        plans = [plan_from_json(r.plan) for r in previous]
        batches = _batches(history, counts)
        chosen = _plan(survey, structure, counts)
        if previous and not releases_are_safe(structure, [*plans, chosen], batches, k):
            # Try again with no cell the earlier releases did not already show.
            chosen = union_plan(plans)
            if not releases_are_safe(structure, [*plans, chosen], batches, k):
                if not final:
                    return None
                # The final release repeats the last one: late answers stay unreleased.
                counts, sums, chosen = history[-1], previous[-1].sums, plans[-1]
        if previous and not final and history[-1] == counts:
            return None  # nothing new to release
        try:
            with transaction.atomic():
                release = Release.objects.create(
                    survey=survey,
                    round=round_,
                    number=len(previous) + 1,
                    released_on=today,
                    final=final,
                    counts={atom_key(u, g): n for (u, g), n in counts.items()},
                    sums=sums,
                    plan=plan_to_json(chosen),
                )
        except IntegrityError:  # another worker released this round at the same moment
            return None
        if final and survey.by_invitation and survey.allow_comments:
            Comment.objects.filter(round=round_, release__isnull=True).update(release=release)
        return release


def release_due(today: date | None = None) -> dict[str, int]:
    """The periodic job: final releases of rounds that have ended, interim releases of open rounds."""
    today = today or timezone.localdate()
    done = {"final": 0, "interim": 0}
    rounds = (
        Round.objects.select_related("survey", "survey__organization")
        .exclude(survey__status=Survey.Status.DRAFT)
        .filter(starts_on__lte=today)
        .exclude(releases__final=True)
    )
    for round_ in rounds:
        survey = round_.survey
        ended = round_.ends_on < today or survey.status == Survey.Status.CLOSED
        if ended:
            done["final"] += do_release(survey, round_, final=True, today=today) is not None
        elif today - round_.starts_on >= INTERIM_EVERY:
            done["interim"] += do_release(survey, round_, final=False, today=today) is not None
    return done


def close_rounds(survey: Survey, today: date | None = None) -> int:
    """Final releases of every started round of a survey being closed."""
    today = today or timezone.localdate()
    return sum(
        do_release(survey, r, final=True, today=today) is not None
        for r in survey.rounds.filter(starts_on__lte=today)
    )
