"""The disclosure rules, tested as properties over random organizations (no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from respite.core.disclosure import ALL, ROOT, CellKey, Structure, difference_ci, make_plan, wilson
from respite.pulse.tests.helpers import audit

ROLES = ("nurse", "physician", "evs")


@st.composite
def organizations(draw):
    n_units = draw(st.integers(1, 7))
    parents = {}
    for u in range(1, n_units + 1):
        parents[u] = draw(st.sampled_from([None, *range(1, u)]))
    rounds = tuple(range(100, 100 + draw(st.integers(1, 3))))
    counts = {}
    for r in rounds:
        for u in parents:
            for g in (*ROLES, ""):
                n = draw(st.one_of(st.just(0), st.integers(0, 4), st.integers(0, 15)))
                if n:
                    counts[(r, u, g)] = n
    k = draw(st.sampled_from([5, 5, 7, 10]))
    return Structure(rounds, parents, ROLES), counts, k


@settings(max_examples=150, deadline=None)
@given(organizations())
def test_no_released_figure_or_difference_describes_fewer_than_k(org):
    struct, counts, k = org
    plan = make_plan(struct, counts, k)
    released = plan.released_cells()
    assert audit(struct, released, counts, k) == []


@settings(max_examples=60, deadline=None)
@given(organizations())
def test_large_groups_everywhere_are_all_released(org):
    struct, counts, k = org
    big = {a: n + 3 * k for a, n in counts.items()}  # every atom large: nothing needs hiding
    full = {(r, u, g) for r in struct.rounds for u in struct.parents for g in (*ROLES, "")}
    big.update({a: 3 * k for a in full - set(big)})
    plan = make_plan(struct, big, k)
    assert len(plan.released_cells()) == sum(
        len(struct.single_cells(r)) for r in struct.rounds
    ) + len(struct.pooled_cells())


def test_parent_minus_child_is_blocked_by_hiding_a_second_cell():
    # Hospital (1) = ICU (2) with 12 + its own 3 respondents; ICU shown would reveal those 3.
    struct = Structure((1,), {1: None, 2: 1}, ())
    counts = {(1, 2, ""): 12, (1, 1, ""): 3}
    plan = make_plan(struct, counts, 5)
    shown = {c for c in plan.released_cells()}
    assert CellKey((1,), ROOT, ALL) in shown
    assert not (CellKey((1,), 1, ALL) in shown and CellKey((1,), 2, ALL) in shown)
    assert audit(struct, list(shown), counts, 5) == []


def test_unit_minus_role_overlap_is_blocked():
    # Every physician works in ICU; ICU minus physicians would be 2 nurses.
    struct = Structure((1,), {1: None, 2: None}, ("nurse", "physician"))
    counts = {(1, 1, "physician"): 10, (1, 1, "nurse"): 2, (1, 2, "nurse"): 20}
    plan = make_plan(struct, counts, 5)
    assert audit(struct, plan.released_cells(), counts, 5) == []
    assert plan.is_released(CellKey((1,)))


def test_pooled_rounds_need_every_round_shown():
    struct = Structure((1, 2), {1: None}, ())
    counts = {(1, 1, ""): 20, (2, 1, ""): 3}
    plan = make_plan(struct, counts, 5)
    assert not plan.is_released(CellKey((2,)))
    assert not plan.is_released(CellKey((1, 2)))  # pooled minus round 1 would give round 2


def test_hidden_figures_carry_no_count_and_one_reason():
    struct = Structure((1,), {1: None, 2: None}, ())
    plan = make_plan(struct, {(1, 1, ""): 2, (1, 2, ""): 2}, 5)
    a = plan.figure(CellKey((1,), 1), "mean", (2, 6.0, 20.0), 2)
    b = plan.figure(CellKey((1,)), "mean", (4, 12.0, 40.0), 4)
    assert a.suppressed and b.suppressed and a.n is None and a.value is None and a.note == b.note
    assert "5" in a.note


def test_the_auditor_catches_primary_suppression_alone():
    # Guard against a vacuous auditor: releasing every cell with n >= k must be flagged here.
    struct = Structure((1,), {1: None, 2: 1}, ())
    counts = {(1, 2, ""): 12, (1, 1, ""): 3}
    naive = [
        c
        for c in struct.single_cells(1)
        if sum(n for a, n in counts.items() if struct.covers(c, a)) >= 5
    ]
    assert audit(struct, naive, counts, 5)


def test_confidence_intervals():
    lo, hi = wilson(5, 10)
    assert 0.2 < lo < 0.5 < hi < 0.8
    eff = difference_ci((10, 30.0, 100.0), (10, 20.0, 50.0))
    assert eff["estimate"] == -1.0 and eff["low"] < -1.0 < eff["high"]


@st.composite
def two_releases(draw):
    struct, counts, k = draw(organizations())
    first = {(u, g): n for (r, u, g), n in counts.items() if r == struct.rounds[0]}
    later = {}
    for u in struct.parents:
        for g in (*ROLES, ""):
            n = draw(st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 12)))
            if n:
                later[(u, g)] = n
    return struct, first, later, k


@settings(max_examples=120, deadline=None)
@given(two_releases())
def test_two_releases_of_a_round_read_together_isolate_nobody(case):
    """An interim release and a later one, read together: what the release rule accepts passes the
    independent auditor over batches (batch 1 = round "1", batch 2 = round "2"; the later release
    covers both)."""
    from respite.core.disclosure import plan_round, releases_are_safe, union_plan

    struct, first, later, k = case
    total = {a: first.get(a, 0) + later.get(a, 0) for a in set(first) | set(later)}
    p1 = plan_round(struct, first, k)
    p2 = plan_round(struct, total, k)
    batches = [first, later]
    if not releases_are_safe(struct, [p1, p2], batches, k):
        p2 = union_plan([p1])
        if not releases_are_safe(struct, [p1, p2], batches, k):
            return  # no second release: nothing new to audit
    two = Structure((1, 2), struct.parents, struct.roles)
    counts = {(1, u, g): n for (u, g), n in first.items()} | {
        (2, u, g): n for (u, g), n in later.items()
    }
    cells = [
        CellKey((1,), u, g)
        for u in (ROOT, *struct.parents)
        for g in (ALL, *ROLES)
        if p1.releases(u, g)
    ]
    cells += [
        CellKey((1, 2), u, g)
        for u in (ROOT, *struct.parents)
        for g in (ALL, *ROLES)
        if p2.releases(u, g)
    ]
    assert audit(two, cells, counts, k) == []
