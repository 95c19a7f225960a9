"""Pulse's use of the shared disclosure planner (``respite.core.disclosure``): one plan per survey,
from its respondent rollups, decides every figure its pages, API, CSV and PDF may show."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from respite.core.disclosure import Plan, make_plan


def plan_for(survey) -> Plan:
    """The survey's plan from its respondent rollups, cached until a response changes them."""
    from respite.pulse import reporting

    structure = reporting.structure(survey)
    counts = reporting.atom_counts(survey)
    digest = hashlib.sha256(repr((structure, sorted(counts.items()), survey.k())).encode()).hexdigest()
    key = f"pulse-plan:{survey.pk}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    plan = make_plan(structure, counts, survey.k())
    cache.set(key, plan, 3600)
    return plan
