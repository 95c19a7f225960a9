"""Dashboard figures, read only from rollups and released only through ``disclosure``.

Also the two functions the assessments app calls to evaluate programs:
``measure_choices(organization)`` and ``measure_before_after(organization, key, on_date)``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from respite.core import disclosure as shared
from respite.core import privacy
from respite.core.disclosure import ALL, ROOT, CellKey, Figure, Structure
from respite.core.memo import ProcessCache
from respite.core.models import Organization
from respite.pulse import disclosure, dp, releases
from respite.pulse import items as library
from respite.pulse.models import Comment, DashboardVersion, Release, Round, Survey, Unit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from respite.pulse.themes import Theme

Sums = tuple[int, float, float]
MIN_BENCHMARK_ORGS = 3


def structure(survey: Survey) -> Structure:
    rounds = tuple(survey.rounds.order_by("starts_on", "number").values_list("pk", flat=True))
    parents: dict[int, int | None] = dict(
        Unit.objects.filter(organization_id=survey.organization_id).values_list("pk", "parent_id")
    )
    roles = tuple(survey.organization.role_groups or [])
    return Structure(rounds, parents, roles)


def latest_releases(survey: Survey) -> dict[int, Release]:
    """The last release of each round, kept on the survey object for this request and, since a
    release is never changed once made, in the process for later requests (see ``_survey_cache``):
    a dashboard first read after another of the same release does not decode the stored JSON again."""
    memo = survey.__dict__.get("_pulse_releases")
    if memo is None:
        latest: dict[int, int] = {}
        for round_id, pk in (
            Release.objects.filter(survey=survey)
            .order_by("round_id", "-number")
            .values_list("round_id", "pk")
        ):
            latest.setdefault(round_id, pk)
        key = (*_survey_identity(survey), tuple(sorted(latest.items())))
        memo = _survey_cache.get(("releases", key))
        if memo is None:
            rows = Release.objects.in_bulk(list(latest.values()))
            memo = {r: rows[pk] for r, pk in latest.items()}
            _survey_cache.put(("releases", key), memo)
        survey.__dict__["_pulse_releases"] = memo
        survey.__dict__["_pulse_data_key"] = key
    return memo


def _survey_identity(survey: Survey) -> tuple:
    """What tells this survey's data apart from any other's in this process, even after a database
    reuses ids (SQLite does, after a delete): its creation time and its organization's dashboard
    version, raised by any change of units, rounds or releases (``models.DashboardVersion``)."""
    version = survey.__dict__.get("dashboard_version")
    if version is None:
        version = (
            DashboardVersion.objects.filter(pk=survey.organization_id)
            .values_list("version", flat=True)
            .first()
            or 0
        )
    return (survey.pk, survey.created_at, version)


# Each entry of a national-scale survey (60 units × 8 rounds × 8 role groups) is about 1 MB.
_survey_cache: ProcessCache[Any] = ProcessCache(48)


def _atoms(survey: Survey, measure: str) -> dict[tuple[int, int, str], Sums]:
    """(n, sum, sum of squares) per round × unit × role as of each round's last release."""
    out: dict[tuple[int, int, str], Sums] = {}
    for r, rel in latest_releases(survey).items():
        for key, (n, s, q) in rel.sums.get(measure, {}).items():
            u, g = releases.parse_key(key)
            out[(r, u, g)] = (int(n), float(s), float(q))
    return out


def atom_counts(survey: Survey) -> dict[tuple[int, int, str], int]:
    out: dict[tuple[int, int, str], int] = {}
    for r, rel in latest_releases(survey).items():
        for (u, g), n in releases.counts_of(rel).items():
            out[(r, u, g)] = n
    return out


def cell_sums(struct: Structure, atoms: dict[tuple[int, int, str], Sums]) -> dict[CellKey, Sums]:
    """(n, sum, sum of squares) of every single-round cell and every pooled organization total.

    Accumulated under plain tuples (hashed in C) and made ``CellKey``s once at the end: a
    dashboard's first view of a measure spends most of its time here."""
    acc: dict[tuple, list[float]] = {}
    above = {u: (ROOT, *struct.ancestors(u)) for u in struct.parents}
    roles = set(struct.roles)
    for (r, u, g), (n, s, q) in atoms.items():
        units = above.get(u)
        if units is None:
            continue
        rounds = (r,)
        for role in (ALL, g) if g in roles else (ALL,):
            for unit in units:
                a = acc.get((rounds, unit, role))
                if a is None:
                    acc[(rounds, unit, role)] = [n, s, q]
                else:
                    a[0] += n
                    a[1] += s
                    a[2] += q
    for key in struct.pooled_cells():
        a = [0, 0.0, 0.0]
        for r in key.rounds:
            t = acc.get(((r,), ROOT, ALL))
            if t:
                a[0] += t[0]
                a[1] += t[1]
                a[2] += t[2]
        acc[(key.rounds, ROOT, ALL)] = a
    return {CellKey(*k): (int(v[0]), v[1], v[2]) for k, v in acc.items()}


def round_totals(struct: Structure, atoms: dict[tuple[int, int, str], Sums]) -> dict[CellKey, Sums]:
    """Only the organization total of each round: what :func:`cell_sums` gives for ``CellKey((r,))``,
    without every unit × role cell (the cross-organization benchmark reads nothing else)."""
    acc: dict[CellKey, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for (r, u, _g), (n, s, q) in atoms.items():
        if u not in struct.parents:
            continue
        a = acc[CellKey((r,))]
        a[0] += n
        a[1] += s
        a[2] += q
    return {k: (int(v[0]), v[1], v[2]) for k, v in acc.items()}


class SurveyFigures:
    """All figures of one measure of one survey; every lookup goes through the plan.

    ``totals_only``: only the organization total of each round can be looked up (the benchmark)."""

    def __init__(
        self,
        survey: Survey,
        measure: library.Measure,
        plan: shared.Plan | None = None,
        *,
        totals_only: bool = False,
    ):
        self.survey, self.measure = survey, measure
        self.plan = plan or disclosure.plan_for(survey)
        struct = self.plan.structure
        if totals_only:
            self.sums = round_totals(struct, _atoms(survey, measure.key))
            self.respondents = (
                self.sums
                if measure.key == library.RESPONDENTS
                else round_totals(struct, {a: (n, 0.0, 0.0) for a, n in self.plan.counts.items()})
            )
        else:
            self.sums = self._cell_sums(survey, struct, measure.key)
            self.respondents = self._cell_sums(survey, struct, library.RESPONDENTS, counts=True)
        self.noise = dp.Noise(survey, measure) if survey.dp_enabled else None
        self.released_rounds = set(latest_releases(survey))

    def _cell_sums(
        self, survey: Survey, struct: Structure, measure_key: str, *, counts: bool = False
    ) -> dict[CellKey, Sums]:
        """:func:`cell_sums` of a measure (or of the plan's respondent counts), shared in the
        process by every dashboard of the same releases and unit tree."""
        latest_releases(survey)  # sets the survey's data key
        key = (
            "sums",
            survey.__dict__["_pulse_data_key"],
            struct.rounds,
            tuple(sorted(struct.parents.items())),
            struct.roles,
            measure_key,
            counts,
        )
        sums = _survey_cache.get(key)
        if sums is None:
            atoms = (
                {a: (n, 0.0, 0.0) for a, n in self.plan.counts.items()}
                if counts
                else _atoms(survey, measure_key)
            )
            sums = cell_sums(struct, atoms)
            _survey_cache.put(key, sums)
        return sums

    def get(self, key: CellKey) -> Figure:
        if not key.rounds or any(r not in self.released_rounds for r in key.rounds):
            return Figure(key, None, None, None, None, True, _("not released yet"))
        if not self.survey.by_invitation and (key.unit is not ROOT or key.role is not ALL):
            # The real reason, the same for every such cell: it says nothing about its count.
            return Figure(key, None, None, None, None, True, link_mode_reason())
        sums = self.sums.get(key, (0, 0.0, 0.0))
        respondents = self.respondents.get(key, (0, 0.0, 0.0))[0]
        return self.release(self.plan.figure(key, self.measure.kind, sums, respondents), sums)

    def release(self, fig: Figure, sums: Sums) -> Figure:
        """Suppression first (the plan), then, when the survey opted in, stored DP noise."""
        if self.noise is None:
            return fig
        return self.noise.apply(fig, sums[1], self.plan.k)


def link_mode_reason() -> str:
    return _("shared-link survey: results for the whole organization only")


def measures_by_key(survey: Survey) -> dict[str, library.Measure]:
    return {m.key: m for m in survey.measures()}


@dataclass
class Dashboard:
    survey: Survey
    measure: library.Measure
    round: Round | None
    unit: Unit | None
    role: str | None
    k: int
    rounds: list[Round]
    trend: list[tuple[Round, Figure]] = field(default_factory=list)
    units: list[tuple[Unit, int, Figure]] = field(default_factory=list)
    roles: list[tuple[str, StrOrPromise, Figure]] = field(default_factory=list)
    heatmap: list[tuple[Unit, int, list[Figure]]] = field(default_factory=list)
    organization: Figure | None = None
    benchmark: dict | None = None
    evaluation: dict | None = None
    comments: list[str] = field(default_factory=list)
    comments_hidden: bool = False

    def rows(self) -> list[dict]:
        """Every figure the dashboard shows, flat, for CSV/PDF/API (and nothing else)."""
        out = []
        m = self.measure.label

        def add(section: str, rnd: str, unit: str, role: str, f: Figure) -> None:
            out.append(
                {
                    "section": section,
                    "round": str(rnd),
                    "unit": str(unit),
                    "role": str(role),
                    "measure": str(m),
                    **(
                        {"value": None, "low": None, "high": None, "n": None, "accuracy": None}
                        if f.suppressed
                        else {
                            "value": f.value,
                            "low": f.low,
                            "high": f.high,
                            "n": f.n,
                            "accuracy": f.accuracy,
                        }
                    ),
                    "suppressed": f.suppressed,
                    "note": str(f.note),
                }
            )

        unit_name = self.unit.name if self.unit else _("All units")
        role_name = role_label(self.survey.organization, self.role)
        for rnd, f in self.trend:
            add("trend", rnd.label, unit_name, role_name, f)
        rlabel = self.round.label if self.round else ""
        for unit, _depth, f in self.units:
            add("units", rlabel, unit.name, role_name, f)
        for _g, label, f in self.roles:
            add("roles", rlabel, unit_name, str(label), f)
        for unit, _depth, figs in self.heatmap:
            for rnd, f in zip(self.rounds, figs, strict=True):
                add("heatmap", rnd.label, unit.name, role_name, f)
        if self.organization is not None:
            add("organization", rlabel, _("All units"), _("All roles"), self.organization)
        if self.evaluation:
            add(
                "before",
                self.evaluation["date"].isoformat(),
                _("All units"),
                _("All roles"),
                self.evaluation["before"],
            )
            add(
                "after",
                self.evaluation["date"].isoformat(),
                _("All units"),
                _("All roles"),
                self.evaluation["after"],
            )
        if self.benchmark and not self.benchmark["suppressed"]:
            out.append(
                {
                    "section": "benchmark",
                    "round": "",
                    "unit": str(_("Other organizations")),
                    "role": "",
                    "measure": str(m),
                    "value": self.benchmark["value"],
                    "low": None,
                    "high": None,
                    "n": None,
                    "accuracy": None,
                    "suppressed": False,
                    "note": str(self.benchmark["note"]),
                }
            )
        return out


def role_label(organization: Organization, role: str | None) -> str:
    if role is None:
        return _("All roles")
    return str(dict(organization.role_group_choices()).get(role, role))


def unit_tree(organization: Organization) -> list[tuple[Unit, int]]:
    """Units in tree order with their depth (one query)."""
    units = list(Unit.objects.filter(organization=organization))
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        children[u.parent_id].append(u)
    out: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in sorted(children.get(parent, []), key=lambda x: x.name):
            out.append((u, depth))
            walk(u.pk, depth + 1)

    walk(None, 0)
    return out


def dashboard(
    survey: Survey,
    measure_key: str,
    *,
    round_id: int | None = None,
    unit_id: int | None = None,
    role: str | None = None,
    intervention: date | None = None,
) -> Dashboard:
    """The figures of one measure. Unknown filters raise KeyError (the caller answers 4xx)."""
    measures = measures_by_key(survey)
    measure = measures[measure_key]
    rounds = list(survey.rounds.order_by("starts_on", "number"))
    released = latest_releases(survey)
    # By default the latest round with a release (an open round shows nothing until it has one).
    started = (
        [r for r in rounds if r.pk in released]
        or [r for r in rounds if r.starts_on <= timezone.localdate()]
        or rounds[:1]
    )
    rnd = (
        next((r for r in rounds if r.pk == round_id), None)
        if round_id
        else (started[-1] if started else None)
    )
    if round_id and rnd is None:
        raise KeyError("round")
    tree = unit_tree(survey.organization)
    unit = next((u for u, _d in tree if u.pk == unit_id), None) if unit_id else None
    if unit_id and unit is None:
        raise KeyError("unit")
    if role is not None and role not in (survey.organization.role_groups or []):
        raise KeyError("role")
    figs = SurveyFigures(survey, measure)
    uid = unit.pk if unit else ROOT
    dash = Dashboard(survey, measure, rnd, unit, role, survey.k(), rounds)
    dash.trend = [(r, figs.get(CellKey((r.pk,), uid, role))) for r in rounds]
    if rnd is not None:
        dash.units = [(u, d, figs.get(CellKey((rnd.pk,), u.pk, role))) for u, d in tree]
        dash.roles = [
            (g, label, figs.get(CellKey((rnd.pk,), uid, g)))
            for g, label in survey.organization.role_group_choices()
        ]
        dash.organization = figs.get(CellKey((rnd.pk,)))
        dash.comments, dash.comments_hidden = comments(survey, rnd, figs)
    dash.heatmap = [
        (u, d, [figs.get(CellKey((r.pk,), u.pk, role)) for r in rounds]) for u, d in tree
    ]
    if measure.key != library.RESPONDENTS:
        dash.benchmark = benchmark(survey.organization, measure.key)
    if intervention is not None:
        dash.evaluation = evaluation(figs, rounds, intervention)
    return dash


def comments(survey: Survey, rnd: Round, figs: SurveyFigures | None) -> tuple[list[str], bool]:
    """Comments of a round's final release, shuffled, only for invitation surveys whose release
    counts at least k_text respondents (all from invitations: a shared link can be padded).

    Comments are never broken down by unit or role: a set of texts cannot be complementarily
    suppressed, so they are shown only for the largest group."""
    if not survey.allow_comments:
        return [], False
    rel = latest_releases(survey).get(rnd.pk)
    if rel is None or not rel.final or not survey.by_invitation:
        return [], True
    n = sum(releases.counts_of(rel).values())
    if (
        not n or privacy.cell(n, n, survey.k_text()).suppressed
    ):  # the core rule, at the text threshold
        return [], True
    texts = [c.text for c in Comment.objects.filter(round=rnd, release__isnull=False)]
    random.SystemRandom().shuffle(texts)
    return texts, False


def _split_rounds(rounds: list[Round], on_date: date) -> tuple[tuple[int, ...], tuple[int, ...]]:
    before = tuple(r.pk for r in rounds if r.ends_on < on_date)
    after = tuple(r.pk for r in rounds if r.starts_on >= on_date)
    return before, after


def evaluation(figs: SurveyFigures, rounds: list[Round], on_date: date) -> dict:
    """Before/after a dated intervention (organization-wide, rounds wholly before vs wholly after)."""
    before_ids, after_ids = _split_rounds(rounds, on_date)
    before = _pooled(figs, before_ids)
    after = _pooled(figs, after_ids)
    effect: dict[str, float | None] = {"estimate": None, "low": None, "high": None}
    if not before.suppressed and not after.suppressed and before.n and after.n:
        if figs.noise is not None:
            # Only the two released noisy figures may be used: their difference, no sampling interval.
            if before.value is not None and after.value is not None:
                effect = {"estimate": after.value - before.value, "low": None, "high": None}
        else:
            effect = shared.difference_ci(
                _pooled_sums(figs, before_ids), _pooled_sums(figs, after_ids)
            )
    return {
        "date": on_date,
        "before": before,
        "after": after,
        "effect": effect,
        "before_rounds": len(before_ids),
        "after_rounds": len(after_ids),
    }


def _pooled_sums(figs: SurveyFigures, ids: tuple[int, ...]) -> Sums:
    n, s, q = 0, 0.0, 0.0
    for r in ids:
        a = figs.sums.get(CellKey((r,)), (0, 0.0, 0.0))
        n, s, q = n + a[0], s + a[1], q + a[2]
    return n, s, q


def _pooled(figs: SurveyFigures, ids: tuple[int, ...]) -> Figure:
    if not ids:
        return Figure(CellKey(()), None, None, None, None, False, _("no rounds"))
    key = CellKey(ids)
    if len(ids) == 1:
        return figs.get(key)
    resp = sum(figs.respondents.get(CellKey((r,)), (0, 0, 0))[0] for r in ids)
    sums = _pooled_sums(figs, ids)
    return figs.release(figs.plan.figure(key, figs.measure.kind, sums, resp), sums)


BENCHMARK_TTL = 600


def _benchmark_table(measure_key: str) -> dict[int, tuple[int, float]]:
    """{organization id: (n, sum)} of each organization's latest round whose organization total is
    released by its own plan. Cached for a few minutes: a cross-organization figure may lag."""
    return _benchmark_tables().get(measure_key, {})


def _benchmark_tables() -> dict[str, dict[int, tuple[int, float]]]:
    """:func:`_benchmark_table` of every measure, built in one pass: each survey's plan and releases
    are read once for all its measures (the expensive part), not once per measure."""
    key = "pulse-benchmark-all"
    tables = cache.get(key)
    if tables is not None:
        return tables
    tables = defaultdict(dict)
    surveys = (
        Survey.objects.exclude(status=Survey.Status.DRAFT)
        .select_related("organization")
        .order_by("organization_id", "-created_at")
    )
    for survey in surveys:
        measures = measures_by_key(survey)
        todo = [m for m in measures if survey.organization_id not in tables[m]]
        if not todo:
            continue
        plan = disclosure.plan_for(survey)
        for measure_key in todo:
            table = tables[measure_key]
            figs = SurveyFigures(survey, measures[measure_key], plan, totals_only=True)
            for r in reversed(plan.structure.rounds):
                if not plan.is_released(CellKey((r,))):
                    continue
                # The survey's own released organization total (noisy under DP), nothing finer.
                f = figs.get(CellKey((r,)))
                if f.suppressed or f.value is None or not f.n:
                    continue
                table[survey.organization_id] = (f.n, f.value * f.n)
                break
    tables = dict(tables)
    cache.set(key, tables, BENCHMARK_TTL)
    return tables


def benchmark(organization: Organization, measure_key: str) -> dict:
    """Anonymous cross-organization figure: each other organization's latest round whose total is
    released counts; shown only when at least three organizations qualify."""
    others = [v for org_id, v in _benchmark_table(measure_key).items() if org_id != organization.pk]
    if len(others) < MIN_BENCHMARK_ORGS:
        return {
            "value": None,
            "organizations": None,
            "suppressed": True,
            "note": _("shown when at least %(n)s other organizations have enough responses")
            % {"n": MIN_BENCHMARK_ORGS},
        }
    total_n = sum(n for n, _s in others)
    total_s = sum(s for _n, s in others)
    return {
        "value": total_s / total_n,
        "organizations": len(others),
        "suppressed": False,
        "note": _("%(n)s organizations") % {"n": len(others)},
    }


# --- for the assessments app --------------------------------------------------------------------
def measure_choices(organization: Organization) -> list[tuple[str, str]]:
    """(key, label) of every measure asked in the organization's surveys (drafts excluded)."""
    seen: dict[str, str] = {}
    for survey in Survey.objects.filter(organization=organization).exclude(
        status=Survey.Status.DRAFT
    ):
        for m in survey.measures():
            if m.key != library.RESPONDENTS:
                seen.setdefault(m.key, str(m.label))
    return sorted(seen.items(), key=lambda kv: (kv[0] != library.BURNOUT_RATE, kv[1]))


def measure_before_after(organization: Organization, key: str, on_date: date) -> dict:
    """Organization-wide value of a measure before and after a date, suppressed by the same rules.

    Uses the most recent survey asking the measure with rounds on both sides of the date (else the
    most recent asking it). Returns {"label", "before", "after"}, each side {"value", "n",
    "suppressed"} and, when released, "accuracy" (95% noise half-width under differential privacy,
    else None). An unknown key gives both sides empty and not suppressed (nothing to hide).
    """
    empty = {"value": None, "n": None, "suppressed": False}
    candidates = []
    for survey in Survey.objects.filter(organization=organization).exclude(
        status=Survey.Status.DRAFT
    ):
        measures = measures_by_key(survey)
        if key in measures:
            rounds = list(survey.rounds.order_by("starts_on", "number"))
            before, after = _split_rounds(rounds, on_date)
            candidates.append(
                (bool(before and after), survey.created_at, survey, measures[key], rounds)
            )
    if not candidates:
        return {"label": key, "before": dict(empty), "after": dict(empty)}
    _both, _at, survey, measure, rounds = max(candidates, key=lambda c: (c[0], c[1]))
    figs = SurveyFigures(survey, measure)
    result = evaluation(figs, rounds, on_date)

    def side(f: Figure) -> dict:
        if f.suppressed:
            return {"value": None, "n": None, "suppressed": True}
        return {"value": f.value, "n": f.n, "suppressed": False, "accuracy": f.accuracy}

    return {
        "label": str(measure.label),
        "before": side(result["before"]),
        "after": side(result["after"]),
    }


# --- the overview of one release: every measure, units × measures, participation, trends ---------
@dataclass
class MeasureSummary:
    """One measure in the overview: the organization's figure in the chosen round, the change since
    the round before (both released), the anonymous benchmark and the organization's trend."""

    measure: library.Measure
    figure: Figure
    previous: Figure | None
    change: float | None
    benchmark: dict | None
    trend: list[Figure]


@dataclass
class Participation:
    unit: Unit | None  # None: the whole organization
    depth: int
    respondents: Figure
    headcount: int | None
    rate: float | None


@dataclass
class Overview:
    survey: Survey
    round: Round | None
    rounds: list[Round]
    k: int
    summaries: list[MeasureSummary] = field(default_factory=list)
    heat_measures: list[library.Measure] = field(default_factory=list)
    heatmap: list[tuple[Unit, int, list[tuple[library.Measure, Figure]]]] = field(
        default_factory=list
    )
    participation: list[Participation] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)  # only from released comments
    comments_hidden: bool = False

    def rows(self) -> list[dict]:
        """Every figure the overview shows, flat, for CSV/PDF/API (and nothing else)."""
        out: list[dict] = []
        rlabel = self.round.label if self.round else ""

        def add(section: str, rnd: str, unit: str, m: library.Measure, f: Figure, **extra) -> None:
            shown = not f.suppressed
            out.append(
                {
                    "section": section,
                    "round": str(rnd),
                    "unit": str(unit),
                    "measure": str(m.label),
                    "value": f.value if shown else None,
                    "n": f.n if shown else None,
                    "accuracy": f.accuracy if shown else None,
                    "suppressed": f.suppressed,
                    "note": str(f.note),
                    **extra,
                }
            )

        everyone = _("All units")
        for s in self.summaries:
            bench = s.benchmark or {}
            add(
                "overview",
                rlabel,
                everyone,
                s.measure,
                s.figure,
                change=s.change,
                benchmark=None if bench.get("suppressed", True) else bench.get("value"),
            )
        for s in self.summaries:
            for rnd, f in zip(self.rounds, s.trend, strict=True):
                add("trend", rnd.label, everyone, s.measure, f)
        for unit, _depth, cells in self.heatmap:
            for m, f in cells:
                add("heatmap", rlabel, unit.name, m, f)
        respondents = library.Measure(library.RESPONDENTS, str(_("Respondents")), "count")
        for p in self.participation:
            add(
                "participation",
                rlabel,
                p.unit.name if p.unit else everyone,
                respondents,
                p.respondents,
                headcount=p.headcount,
                rate=p.rate,
            )
        for theme in self.themes:
            out.append(
                {
                    "section": "theme",
                    "round": rlabel,
                    "unit": str(everyone),
                    "measure": theme.label,
                    "n": len(theme.comments),
                    "suppressed": False,
                    "note": "",
                }
            )
        return out


def _subtree_headcounts(tree: list[tuple[Unit, int]]) -> dict[int | None, int | None]:
    """People in each unit and everything under it (None when any unit below has no number)."""
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u, _d in tree:
        children[u.parent_id].append(u)
    memo: dict[int | None, int | None] = {}

    def total(uid: int | None, own: int | None) -> int | None:
        acc = own
        for child in children.get(uid, []):
            sub = total(child.pk, child.headcount)
            acc = None if acc is None or sub is None else acc + sub
        memo[uid] = acc
        return acc

    total(None, 0 if tree else None)
    return memo


def overview(
    survey: Survey, *, round_id: int | None = None, organization_only: bool = False
) -> Overview:
    """Every measure of one round's last release, through the same plan and noise as the dashboard.
    ``organization_only`` (the workers' page): no unit, no heat map, no comments. Unknown rounds
    raise KeyError (the caller answers 4xx)."""
    rounds = list(survey.rounds.order_by("starts_on", "number"))
    released = latest_releases(survey)
    shown_rounds = [r for r in rounds if r.pk in released]
    if round_id:
        rnd = next((r for r in rounds if r.pk == round_id), None)
        if rnd is None:
            raise KeyError("round")
    else:
        rnd = shown_rounds[-1] if shown_rounds else None
    earlier = [r for r in shown_rounds if rnd is not None and r.starts_on < rnd.starts_on]
    prev = earlier[-1] if earlier else None
    plan = disclosure.plan_for(survey)
    tree = [] if organization_only else unit_tree(survey.organization)
    ov = Overview(survey, rnd, rounds, survey.k())
    heat_figs: list[list[tuple[library.Measure, Figure]]] = [[] for _u in tree]
    for m in survey.measures():
        figs = SurveyFigures(survey, m, plan)
        trend = [figs.get(CellKey((r.pk,))) for r in rounds]
        if m.key == library.RESPONDENTS:
            heads = _subtree_headcounts(unit_tree(survey.organization))
            if rnd is not None:
                ov.participation.append(
                    _participation(None, 0, figs.get(CellKey((rnd.pk,))), heads.get(None))
                )
                for u, d in tree:
                    f = figs.get(CellKey((rnd.pk,), u.pk))
                    ov.participation.append(_participation(u, d, f, heads.get(u.pk)))
            continue
        if rnd is None:
            continue
        now = figs.get(CellKey((rnd.pk,)))
        before = figs.get(CellKey((prev.pk,))) if prev else None
        change = None
        if (
            before is not None
            and not now.suppressed
            and not before.suppressed
            and now.value is not None
            and before.value is not None
        ):
            change = now.value - before.value
        ov.summaries.append(
            MeasureSummary(m, now, before, change, benchmark(survey.organization, m.key), trend)
        )
        ov.heat_measures.append(m)
        for i, (u, _d) in enumerate(tree):
            heat_figs[i].append((m, figs.get(CellKey((rnd.pk,), u.pk))))
    if rnd is not None:
        ov.heatmap = [(u, d, heat_figs[i]) for i, (u, d) in enumerate(tree)]
        if not organization_only:
            ov.themes, ov.comments_hidden = comment_themes(survey, rnd)
    return ov


def comment_themes(survey: Survey, rnd: Round) -> tuple[list[Theme], bool]:
    """Themes of the round's released comments (the same rule as the comment list), or none."""
    from respite.pulse import themes

    texts, hidden = comments(survey, rnd, None)
    return themes.themes(texts), hidden


def _participation(
    unit: Unit | None, depth: int, f: Figure, headcount: int | None
) -> Participation:
    rate = None
    if not f.suppressed and f.value is not None and headcount:
        rate = min(1.0, f.value / headcount)
    return Participation(unit, depth, f, headcount, rate)


def heat_level(f: Figure, m: library.Measure) -> int | None:
    """0..4 shade of a released figure on the measure's scale (None for a hidden one)."""
    if f.suppressed or f.value is None:
        return None
    lo, hi = (0.0, 1.0) if m.kind == "rate" else (float(m.low or 0), float(m.high or 1))
    share = (f.value - lo) / ((hi - lo) or 1.0)
    return max(0, min(4, int(share * 5)))
