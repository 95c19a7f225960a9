"""Pulse's use of the shared disclosure planner (``respite.core.disclosure``): one plan per survey,
from its stored releases, decides every figure its pages, API, CSV and PDF may show."""

from __future__ import annotations

from respite.core.disclosure import Plan


def plan_for(survey) -> Plan:
    """The survey's plan as stored by its releases: each round's released cells were decided when
    the round was released (``respite.pulse.releases``) and are read, never recomputed, here.
    A round with no release yet shows nothing."""
    from respite.pulse import releases, reporting

    structure = reporting.structure(survey)
    latest = reporting.latest_releases(survey)
    rounds = {r: releases.plan_from_json(rel.plan) for r, rel in latest.items()}
    return Plan(structure, survey.k(), rounds, reporting.atom_counts(survey))
