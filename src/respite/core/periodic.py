"""Periodic jobs: each app declares its own on its ``AppConfig`` as ``respite_periodic`` (a list of
``PeriodicJob``), and ``respite worker`` schedules them (see ``respite.core.tasks.schedule_due``).

Model-free, so an ``apps.py`` can import it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class PeriodicJob:
    """A job run every ``every``. ``func`` is a dotted path to a callable taking no arguments and
    returning something short to log (a count or a dict of counts). ``purge`` jobs delete data kept
    only for a while; ``respite purge`` runs them all at once too."""

    name: str
    every: timedelta
    func: str
    purge: bool = False

    def run(self) -> object:
        target: Callable[[], object] = import_string(self.func)
        return target()


def periodic_jobs() -> dict[str, PeriodicJob]:
    from respite.core.apphooks import installed_hooks

    jobs: dict[str, PeriodicJob] = {}
    for hooks in installed_hooks():
        for job in hooks.periodic:
            if job.name in jobs:
                raise ValueError(f"two periodic jobs are named {job.name!r}")
            jobs[job.name] = job
    return jobs
