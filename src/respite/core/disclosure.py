"""Disclosure control for dashboards with overlapping views: which figures may be shown.

Pulse dashboards (``respite.pulse.disclosure.plan_for``) are its first user; any aggregate crossed by
a unit tree and a second dimension should be planned here rather than re-implementing the rules.
Every released number goes through :meth:`Plan.figure`. The basic rule (hide anything from 1..k-1
people, counts included) is ``core.privacy.cell``; this module adds the rules a dashboard with many
overlapping views needs.

Design (why it is safe). Responses are counted in *atoms*: round × unit × role group. A released
figure is always a sum over atoms. Per round the released cells are a *product* of

* a set of units ``R_U`` (each meaning the unit with everything nested under it; ``ROOT`` is the
  whole organization), and
* a set of role groups ``R_G`` (``ALL`` is every role, including "not given").

For such a family every linear combination an attacker can form from released figures (parent
minus child, unit minus role, overlaps, any sum and difference) is a combination of *blocks*:
``(unit residual) × (role residual)``, where a unit's residual is its atoms not covered by a
released descendant and ``ALL``'s residual is the roles not released. Block indicators are exactly
what the released figures span, so the condition

    every block has 0 or at least k respondents

is necessary and sufficient for "no group of 1..k-1 respondents can be isolated" — and therefore
for "no two released figures differ by 1..k-1 respondents". Suppression is greedy: while a block
is too small, drop the cheapest unit or role that merges it into a bigger one (the classic
complementary suppression), never a single crossing cell, which would break the product form.

When the full product would hide much more (a small unit forces every unit × role crossing of it
to be hidden, and with several job groups nearly every crossing is small), the round is released
as two *linked margins* instead: units for all roles, roles for the whole organization, no
crossings (``margins_ok`` gives the exact condition and its argument). The planner takes whichever
shows more unit and role figures, and chooses the complementary suppressions that hide the fewest
cells (exhaustively on small tables, then greedily). A hidden figure says its real reason: fewer
than k people, or hidden as a complement (``Plan.hidden``).

Releases (``releases_are_safe``): a round released more than once (``respite.pulse.releases``) is
read as several figures over the same people; each batch of people new since the last release must
pass the round check on its own against every cell any of the releases showed.

Rounds are disjoint sets of responses, so each round is planned on its own. Figures pooled over
several rounds (before/after a program) are released only when every round they cover shows its
organization total: they are then sums of released figures and reveal nothing new.

Not covered by suppression (documented, as vendors do): homogeneity (a released group of k who all
answered the same), and inference that assumes people answered identically in two rounds. Optional
differential privacy on released figures (``respite.pulse.dp``, stored noise, accuracy in
``Figure.accuracy``) addresses both for surveys that turn it on.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from respite.core import privacy

ROOT = None  # the whole organization in the unit dimension
ALL = None  # every role group (including "not given") in the role dimension

Atom = tuple[int, int, str]  # (round id, unit id, role group)


@dataclass(frozen=True)
class CellKey:
    """A group a figure describes: one or more rounds × a unit subtree (None: all) × a role (None: all)."""

    rounds: tuple[int, ...]
    unit: int | None = ROOT
    role: str | None = ALL

    def token(self) -> str:
        return f"{'+'.join(map(str, self.rounds))}|{self.unit or '*'}|{self.role or '*'}"


@dataclass(frozen=True)
class Structure:
    """What cells exist: rounds in date order, the unit tree and the organization's role groups."""

    rounds: tuple[int, ...]
    parents: dict[int, int | None]
    roles: tuple[str, ...]

    def ancestors(self, unit: int) -> tuple[int, ...]:
        """The unit and everything above it, nearest first (memoised: dashboards ask a lot)."""
        memo = self.__dict__.setdefault("_ancestors", {})
        if unit not in memo:
            out, seen = [], set()
            node: int | None = unit
            while node is not None and node not in seen:
                seen.add(node)
                out.append(node)
                node = self.parents.get(node)
            memo[unit] = tuple(out)
        return memo[unit]

    def covers(self, key: CellKey, atom: Atom) -> bool:
        r, u, g = atom
        return (
            r in key.rounds
            and (key.unit is ROOT or key.unit in self.ancestors(u))
            and (key.role is ALL or key.role == g)
        )

    def single_cells(self, round_id: int) -> list[CellKey]:
        units: list[int | None] = [ROOT, *sorted(self.parents)]
        roles: list[str | None] = [ALL, *self.roles]
        return [CellKey((round_id,), u, g) for u in units for g in roles]

    def pooled_cells(self) -> list[CellKey]:
        """Organization totals over every run of consecutive rounds (before/after any date)."""
        r = self.rounds
        return [
            CellKey(tuple(r[i:j]), ROOT, ALL)
            for i in range(len(r))
            for j in range(i + 2, len(r) + 1)
        ]


@dataclass
class RoundPlan:
    """The released cells of one round: units × roles, either as a full product (``crossings``: a
    unit can be read for one role) or as two linked margins (units for all roles, roles for the whole
    organization) when the product would hide too much."""

    units: set[int | None]
    roles: set[str | None]
    crossings: bool = True

    def releases(self, unit: int | None, role: str | None) -> bool:
        if unit not in self.units or role not in self.roles:
            return False
        return self.crossings or unit is ROOT or role is ALL


@dataclass
class Plan:
    """Which cells of one survey may be shown, decided once for all views of the survey."""

    structure: Structure
    k: int
    rounds: dict[int, RoundPlan]
    counts: dict[Atom, int] = field(repr=False)

    def is_released(self, key: CellKey) -> bool:
        if len(key.rounds) > 1:
            if key.unit is not ROOT or key.role is not ALL:
                return False
            return all(self.is_released(CellKey((r,))) for r in key.rounds)
        rp = self.rounds.get(key.rounds[0]) if key.rounds else None
        if rp is None:
            return False
        return rp.releases(key.unit, key.role)

    def released_cells(self) -> list[CellKey]:
        cells = [
            c
            for r in self.structure.rounds
            for c in self.structure.single_cells(r)
            if self.is_released(c)
        ]
        return cells + [c for c in self.structure.pooled_cells() if self.is_released(c)]

    def respondents(self, key: CellKey) -> int:
        return sum(n for a, n in self.counts.items() if n > 0 and self.structure.covers(key, a))

    def hidden(self, key: CellKey, respondents: int | None = None) -> Figure:
        """A hidden figure with its real reason: too few people, or hidden as a complement."""
        n = self.respondents(key) if respondents is None else respondents
        small = 0 < n < self.k
        return Figure.hidden(key, self.k, secondary=not small)

    def figure(
        self,
        key: CellKey,
        measure_kind: str,
        sums: tuple[int, float, float],
        respondents: int | None = None,
    ) -> Figure:
        """The figure to show for a cell, or a suppressed marker. ``sums`` = (n, sum, sum of squares)
        from rollups of the measure; ``respondents`` = the cell's respondent count, if known."""
        n, total, total_sq = sums
        if not self.is_released(key):
            return self.hidden(key, respondents)
        if respondents is not None and n != respondents:
            # A measure answered by a different number of people than the plan counted: unsafe.
            return self.hidden(key, respondents)
        basic = privacy.cell(n, n, self.k) if n else privacy.Cell(0, 0, False)
        if basic.suppressed:  # cannot happen for a released cell; the basic rule is checked anyway
            return Figure.hidden(key, self.k)
        if n == 0:
            return Figure(key, None, None, None, 0, False, _("no responses"))
        if measure_kind == "count":
            return Figure(key, float(n), None, None, n, False)
        mean = total / n
        if measure_kind == "rate":
            lo, hi = wilson(total, n)
        else:
            lo, hi = mean_ci(n, total, total_sq)
        return Figure(key, mean, lo, hi, n, False)


@dataclass(frozen=True)
class Figure:
    """One released (or hidden) number. When ``suppressed`` nothing about the group is kept: no
    value, no n; the note says only which of the two reasons applies (too few people, or hidden
    as a complement), the conventional disclosure of statistical agencies."""

    key: CellKey
    value: float | None
    low: float | None
    high: float | None
    n: int | None
    suppressed: bool
    note: str = ""
    accuracy: float | None = None
    secondary: bool = False

    @classmethod
    def hidden(cls, key: CellKey, k: int, secondary: bool = False) -> Figure:
        note = complement_reason() if secondary else suppressed_reason(k)
        return cls(key, None, None, None, None, True, note, None, secondary)

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "suppressed": self.suppressed,
            "note": self.note,
            "accuracy": self.accuracy,
        }


def suppressed_reason(k: int) -> str:
    return _("fewer than %(k)s responses — hidden to protect anonymity") % {"k": k}


def complement_reason() -> str:
    return _("hidden so that a smaller group cannot be worked out by subtraction")


# --- checks -----------------------------------------------------------------------------------
RoundCounts = dict[tuple[int, str], int]  # (unit, role) -> respondents in one round


def _unit_block(structure: Structure, units: set[int | None], u: int) -> int | None | bool:
    for a in structure.ancestors(u):
        if a in units:
            return a
    return ROOT if ROOT in units else False


def _role_block(structure: Structure, roles: set[str | None], g: str) -> str | None | bool:
    if g in roles and g in structure.roles:
        return g
    return ALL if ALL in roles else False


def _small(n: int, k: int) -> bool:
    return 0 < n < k


def product_ok(structure: Structure, units: set, roles: set, counts: RoundCounts, k: int) -> bool:
    """Full product of released units and roles: every block has 0 or >= k people."""
    blocks: dict[tuple, int] = defaultdict(int)
    for (u, g), n in counts.items():
        bu, bg = _unit_block(structure, units, u), _role_block(structure, roles, g)
        if n and bu is not False and bg is not False:
            blocks[(bu, bg)] += n
    return not any(_small(n, k) for n in blocks.values())


MAX_MARGIN_ROLES = (
    10  # 2^(roles + 1) subsets are checked below; beyond this only the product is used
)


def margins_ok(structure: Structure, units: set, roles: set, counts: RoundCounts, k: int) -> bool:
    """Two linked margins (unit tree for all roles, roles for the whole organization).

    What an attacker can compute is ``Σ n(u, g) · (a[unit block of u] + b[role block of g])``. A set
    of people is isolated exactly when a choice of a, b gives 1 on its cells and 0 on every other
    non-empty cell. Within a connected set of cells a and b can be shifted to integers, and a
    staircase of levels splits into pieces of the form "rows I, columns outside J, with no person
    outside I in J". For a fixed J the smallest such piece takes I = the rows meeting J (any other
    row adds a whole row, already 0 or >= k), so checking every J is exact for isolating one group.
    On top, the conventional overlap rule: a released unit and a released role may not differ by
    1..k-1 people either way."""
    if ROOT not in units:
        return not any(units) and not any(g is not ALL for g in roles)
    cells: dict[tuple, int] = defaultdict(int)
    rows: dict[object, int] = defaultdict(int)
    cols: dict[object, int] = defaultdict(int)
    for (u, g), n in counts.items():
        if not n:
            continue
        bu, bg = _unit_block(structure, units, u), _role_block(structure, roles, g)
        cells[(bu, bg)] += n
        rows[bu] += n
        cols[bg] += n
    if any(_small(n, k) for n in rows.values()) or any(_small(n, k) for n in cols.values()):
        return False
    col_list = sorted(cols, key=str)
    for mask in range(1, 2 ** len(col_list) - 1):
        chosen = {c for i, c in enumerate(col_list) if mask >> i & 1}
        meet = {r for (r, c) in cells if c in chosen}
        if _small(sum(n for (r, c), n in cells.items() if r in meet and c not in chosen), k):
            return False
    released_roles = [g for g in roles if g is not ALL]
    if released_roles:
        for unit in units:
            if unit is ROOT:
                continue
            inside: dict[str, int] = defaultdict(int)
            total = 0
            for (u, g), n in counts.items():
                if n and unit in structure.ancestors(u):
                    inside[g] += n
                    total += n
            for g in released_roles:
                if _small(total - inside[g], k) or _small(cols.get(g, 0) - inside[g], k):
                    return False
    return True


def plan_ok(structure: Structure, rp: RoundPlan, counts: RoundCounts, k: int) -> bool:
    if rp.crossings:
        return product_ok(structure, rp.units, rp.roles, counts, k)
    return margins_ok(structure, rp.units, rp.roles, counts, k)


def union_plan(plans: list[RoundPlan]) -> RoundPlan:
    """What the cells of several releases of one round let an attacker compute, at most."""
    units: set[int | None] = set()
    roles: set[str | None] = set()
    for p in plans:
        units |= p.units
        roles |= p.roles
    return RoundPlan(units, roles, any(p.crossings for p in plans))


def releases_are_safe(
    structure: Structure, plans: list[RoundPlan], batches: list[RoundCounts], k: int
) -> bool:
    """Several releases of one round, read together. ``batches`` are the people new in each release
    (the first release's people, then each later release minus the one before). The attacker is
    granted every released cell of every release on every batch separately, which is more than they
    have; each batch must then pass the round check on its own."""
    union = union_plan(plans)
    return all(plan_ok(structure, union, batch, k) for batch in batches)


# --- planning ---------------------------------------------------------------------------------
def plan_round(structure: Structure, counts: RoundCounts, k: int) -> RoundPlan:
    """The released cells of one round: the better of the full product and the linked margins."""
    product = plan_product(structure, counts, k)
    margins = plan_margins(structure, counts, k)
    if margins is None:
        return product

    def score(rp: RoundPlan) -> tuple[int, int]:
        shown = len(rp.units) + len(rp.roles)
        return shown, (len(rp.units) * len(rp.roles) if rp.crossings else 0)

    return margins if score(margins) > score(product) else product


def plan_margins(
    structure: Structure, counts: RoundCounts, k: int, max_extra: int = 3, max_checks: int = 4000
) -> RoundPlan | None:
    """Linked margins with the fewest complementary suppressions (exhaustive over up to
    ``max_extra`` hidden cells, cheapest first, then greedy). None when there are too many roles."""
    if len(structure.roles) > MAX_MARGIN_ROLES:
        return None
    unit_total: dict[int, int] = defaultdict(int)
    role_total: dict[str, int] = defaultdict(int)
    for (u, g), n in counts.items():
        for a in structure.ancestors(u):
            unit_total[a] += n
        role_total[g] += n
    total = sum(counts.values())
    if _small(total, k):
        return RoundPlan(set(), set(), False)
    primary: list[tuple[str, Any]] = [
        ("u", u) for u in structure.parents if _small(unit_total[u], k)
    ]
    primary += [("g", g) for g in structure.roles if _small(role_total[g], k)]
    candidates: list[tuple[str, Any]] = [("u", u) for u in structure.parents if unit_total[u] >= k]
    candidates += [("g", g) for g in structure.roles if role_total[g] >= k]

    def cost(c: tuple[str, Any]) -> int:
        return unit_total[c[1]] if c[0] == "u" else role_total[c[1]]

    def build(hidden: list[tuple[str, Any]]) -> RoundPlan:
        hu = {h[1] for h in hidden if h[0] == "u"}
        hg = {h[1] for h in hidden if h[0] == "g"}
        return RoundPlan(
            {ROOT, *(u for u in structure.parents if u not in hu)},
            {ALL, *(g for g in structure.roles if g not in hg)},
            False,
        )

    checks = 0
    for size in range(0, max_extra + 1):
        combos = sorted(
            itertools.combinations(candidates, size), key=lambda cs: sum(cost(c) for c in cs)
        )
        for extra in combos:
            rp = build(primary + list(extra))
            checks += 1
            if margins_ok(structure, rp.units, rp.roles, counts, k):
                return rp
            if checks >= max_checks:
                break
        if checks >= max_checks:
            break
    hidden = list(primary)
    rest = sorted(candidates, key=cost)
    while rest:
        hidden.append(rest.pop(0))
        rp = build(hidden)
        if margins_ok(structure, rp.units, rp.roles, counts, k):
            return rp
    return build(hidden)


def plan_product(structure: Structure, counts: RoundCounts, k: int) -> RoundPlan:
    """Choose the released units and roles of one round so every block has 0 or >= k people."""
    parents = structure.parents
    units: set[int | None] = {ROOT, *parents}
    roles: set[str | None] = {ALL, *structure.roles}
    unit_total: dict[int | None, int] = defaultdict(int)
    role_total: dict[str | None, int] = defaultdict(int)
    for (u, g), n in counts.items():
        for a in structure.ancestors(u):
            unit_total[a] += n
        unit_total[ROOT] += n
        role_total[g] += n
        role_total[ALL] += n

    def unit_block(u: int) -> int | None | bool:
        return _unit_block(structure, units, u)

    def role_block(g: str) -> str | None | bool:
        return _role_block(structure, roles, g)

    while True:
        blocks: dict[tuple, int] = defaultdict(int)
        for (u, g), n in counts.items():
            if n <= 0:
                continue
            bu, bg = unit_block(u), role_block(g)
            if bu is False or bg is False:
                continue  # not covered by any released cell: cannot be derived
            blocks[(bu, bg)] += n
        bad = sorted(((n, str(b)), b) for b, n in blocks.items() if 0 < n < k)
        if not bad:
            return RoundPlan(units, roles)
        bu, bg = bad[0][1]
        moves: list[tuple[int, str, str, object]] = []
        if bu is not ROOT:
            moves.append((unit_total[bu], "u", str(bu), bu))
        if bg is not ALL:
            moves.append((role_total[bg], "g", str(bg), bg))
        for c in units:  # drop a released child to merge it into this residual
            if c is ROOT or c == bu:
                continue
            parent = parents.get(c)
            above = unit_block(parent) if parent is not None else (ROOT if ROOT in units else False)
            if above is not False and above == bu:
                moves.append((unit_total[c], "u", str(c), c))
        if bg is ALL:
            for role in roles:
                if role is not ALL:
                    moves.append((role_total[role], "g", str(role), role))
        if not moves:  # only the whole organization is left and it is too small: show nothing
            units.discard(ROOT)
            roles.discard(ALL)
            continue
        _cost, kind, _name, target = min(moves, key=lambda m: (m[0], m[1], m[2]))
        (units if kind == "u" else roles).discard(target)


def make_plan(structure: Structure, counts: dict[Atom, int], k: int) -> Plan:
    per_round: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for (r, u, g), n in counts.items():
        if u in structure.parents:
            per_round[r][(u, g)] = per_round[r].get((u, g), 0) + n
    rounds = {r: plan_round(structure, per_round.get(r, {}), k) for r in structure.rounds}
    return Plan(structure, k, rounds, dict(counts))


# --- statistics -------------------------------------------------------------------------------
_T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    12: 2.179,
    15: 2.131,
    20: 2.086,
    25: 2.060,
    30: 2.042,
    40: 2.021,
    60: 2.000,
    120: 1.980,
}


T_TABLE_LAST_DF = 1000


def t975(df: float) -> float:
    """Two-sided 95% Student t quantile (table, rounded down to the nearest listed df: conservative)."""
    if df >= T_TABLE_LAST_DF:
        return 1.96  # the normal quantile: the t distribution has converged
    for d in sorted(_T975, reverse=True):
        if df >= d:
            return _T975[d]
    return _T975[1]


def mean_ci(n: int, total: float, total_sq: float) -> tuple[float | None, float | None]:
    if n < 2:
        return None, None
    mean = total / n
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = t975(n - 1) * math.sqrt(var / n)
    return mean - half, mean + half


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    if n <= 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_ci(before: tuple[int, float, float], after: tuple[int, float, float]) -> dict:
    """After minus before with a Welch 95% interval, from (n, sum, sum of squares) of each side."""
    (n1, s1, q1), (n2, s2, q2) = before, after
    if n1 < 2 or n2 < 2:
        return {"estimate": None, "low": None, "high": None}
    m1, m2 = s1 / n1, s2 / n2
    v1 = max(0.0, (q1 - n1 * m1 * m1) / (n1 - 1)) / n1
    v2 = max(0.0, (q2 - n2 * m2 * m2) / (n2 - 1)) / n2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return {"estimate": m2 - m1, "low": m2 - m1, "high": m2 - m1}
    df = (
        (v1 + v2) ** 2 / ((v1 * v1 / (n1 - 1)) + (v2 * v2 / (n2 - 1)))
        if v1 and v2
        else min(n1, n2) - 1
    )
    half = t975(df) * se
    return {"estimate": m2 - m1, "low": m2 - m1 - half, "high": m2 - m1 + half}
