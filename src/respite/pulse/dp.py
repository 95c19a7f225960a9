"""Optional differential privacy for released pulse figures (OpenDP).

Suppression (``respite.core.disclosure``) decides first which figures may be shown; this module
only adds noise to figures that are already released. It never turns a hidden figure into a shown
one, and it never sees a hidden cell.

Mechanisms (each figure of a survey with ``dp_epsilon = ε``; a person is in or out of a cell):

* **count** (Respondents): n + discrete Laplace noise of scale 1/ε (sensitivity 1).
* **rate and mean**: ε is split in half. The count gets discrete Laplace noise of scale 2/ε; the sum
  of the values centred on the middle of the measure's range, Σ(x − mid), gets Laplace noise of
  scale 2h/ε, where h is half the range (a person's centred value lies in [−h, h]; answers are
  validated to lie in the range, so no clamping is needed). The released value is
  mid + noisy sum / noisy n, clamped to the range.
* No sampling interval is released (it would need the true spread); the accuracy replaces it.
* The released n is the noisy count, raised to k when below: that a shown cell has at least k
  respondents is already public (suppression reveals it), so this is post-processing.

Accuracy: the half-width a such that the noise stays within ±a with 95% probability, from
OpenDP's ``discrete_laplacian_scale_to_accuracy`` / ``laplacian_scale_to_accuracy``. For a mean,
with a_S and a_n the 97.5% bounds of the sum and count noise (a union bound gives 95% for both),
|released − true| ≤ (a_S + h·a_n) / released n (capped at the width of the range).

Stored noise: every draw is kept in ``NoiseDraw`` keyed by survey, round(s), cell, measure and the
true n. The same question always gets the same answer; a new draw happens only when a response
changes n. Each new draw spends ε again (see the README for the budget).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from django.db import IntegrityError, transaction

from respite.core.disclosure import CellKey, Figure

ALPHA = 0.05


def _dp():
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


@lru_cache(maxsize=64)
def _int_laplace(scale: float):
    dp = _dp()
    return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=scale)


@lru_cache(maxsize=64)
def _float_laplace(scale: float):
    dp = _dp()
    return dp.m.make_laplace(
        dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=scale
    )


def count_accuracy(scale: float, alpha: float = ALPHA) -> float:
    from opendp.accuracy import discrete_laplacian_scale_to_accuracy

    return float(discrete_laplacian_scale_to_accuracy(scale, alpha))


def sum_accuracy(scale: float, alpha: float = ALPHA) -> float:
    from opendp.accuracy import laplacian_scale_to_accuracy

    return float(laplacian_scale_to_accuracy(scale, alpha))


def scales(
    epsilon: float, kind: str, low: float | None, high: float | None
) -> tuple[float, float | None]:
    """(count noise scale, sum noise scale or None) for a figure of ``kind`` at ``epsilon``."""
    if kind == "count":
        return 1.0 / epsilon, None
    half = _half_range(kind, low, high)
    return 2.0 / epsilon, max(half, 1e-9) * 2.0 / epsilon


def _half_range(kind: str, low: float | None, high: float | None) -> float:
    if kind == "rate":
        return 0.5
    assert low is not None and high is not None  # measures other than rates have a range
    return (float(high) - float(low)) / 2.0


def _mid(kind: str, low: float | None, high: float | None) -> float:
    if kind == "rate":
        return 0.5
    assert low is not None and high is not None  # measures other than rates have a range
    return (float(low) + float(high)) / 2.0


class Noise:
    """The stored draws of one survey and measure, loaded once per dashboard (one query)."""

    def __init__(self, survey, measure) -> None:
        from respite.pulse.models import NoiseDraw

        self.survey, self.measure = survey, measure
        self.epsilon = float(survey.dp_epsilon)
        self.draws = {
            (d.cell, d.n): d for d in NoiseDraw.objects.filter(survey=survey, measure=measure.key)
        }

    def draw(self, key: CellKey, n: int, total: float):
        """The stored draw for this cell and n, or a fresh one stored for good."""
        from respite.pulse.models import NoiseDraw

        cell = key.token()
        found = self.draws.get((cell, n))
        if found is not None:
            return found
        m = self.measure
        count_scale, sum_scale = scales(self.epsilon, m.kind, m.low, m.high)
        noisy_n = int(_int_laplace(count_scale)(int(n)))
        noisy_sum = None
        if sum_scale is not None:
            centred = float(total) - n * _mid(m.kind, m.low, m.high)
            noisy_sum = float(_float_laplace(sum_scale)(centred))
        rounds = "+".join(map(str, key.rounds))
        try:
            with transaction.atomic():
                row = NoiseDraw.objects.create(
                    survey=self.survey,
                    rounds=rounds,
                    cell=cell,
                    measure=m.key,
                    n=n,
                    epsilon=self.epsilon,
                    noisy_n=noisy_n,
                    noisy_sum=noisy_sum,
                )
        except IntegrityError:  # a concurrent request stored this draw first: use theirs
            row = NoiseDraw.objects.get(
                survey=self.survey, rounds=rounds, cell=cell, measure=m.key, n=n
            )
        self.draws[(cell, n)] = row
        return row

    def apply(self, fig: Figure, total: float, k: int) -> Figure:
        """The noisy version of a released figure (hidden and empty figures pass through)."""
        if fig.suppressed or fig.value is None or not fig.n:
            return fig
        m = self.measure
        row = self.draw(fig.key, fig.n, total)
        shown_n = max(row.noisy_n, k)
        count_scale, sum_scale = scales(self.epsilon, m.kind, m.low, m.high)
        if m.kind == "count":
            return replace(
                fig,
                value=float(shown_n),
                low=None,
                high=None,
                n=shown_n,
                accuracy=count_accuracy(count_scale),
            )
        half, mid = _half_range(m.kind, m.low, m.high), _mid(m.kind, m.low, m.high)
        assert sum_scale is not None  # only counts have no sum
        if m.kind == "rate":
            lo_b, hi_b = 0.0, 1.0
        else:
            assert m.low is not None and m.high is not None  # as in _mid
            lo_b, hi_b = float(m.low), float(m.high)
        value = min(hi_b, max(lo_b, mid + row.noisy_sum / shown_n))
        acc = (
            sum_accuracy(sum_scale, ALPHA / 2) + half * count_accuracy(count_scale, ALPHA / 2)
        ) / shown_n
        acc = min(acc, 2 * half)
        # No sampling interval: it would need the true spread. The accuracy is shown instead.
        return replace(fig, value=value, low=None, high=None, n=shown_n, accuracy=acc)


def figures_per_person(survey) -> int:
    """How many single-round figures one person's answers can enter per round: every measure, in
    each of their unit's ancestors and the whole organization, for all roles and their own role."""
    from respite.pulse.models import Unit

    parents = dict(
        Unit.objects.filter(organization_id=survey.organization_id).values_list("pk", "parent_id")
    )
    depth = 0
    for u in parents:
        d, seen = 0, set()
        node: int | None = u
        while node is not None and node not in seen:
            seen.add(node)
            d += 1
            node = parents.get(node)
        depth = max(depth, d)
    roles = 2 if survey.organization.role_groups else 1
    return len(survey.measures()) * (depth + 1) * roles


def budget(survey) -> dict | None:
    """The stated budget of a survey with DP on: ε per figure and the worst case per person and
    round (each further draw after new responses, and each before/after figure, adds ε)."""
    if survey.dp_epsilon is None:
        return None
    per = figures_per_person(survey)
    return {
        "epsilon": survey.dp_epsilon,
        "figures": per,
        "total": round(survey.dp_epsilon * per, 3),
    }
