"""The contract between an app and the portal: what an ``AppConfig`` may declare to join it.

An app joins without editing shared files. On its ``AppConfig`` it sets any of these attributes
(all optional; CONTRIBUTING.md has the recipe):

====================================  =========================================================
``respite_urls``                      ``[(prefix, "dotted.urls.module"), ...]`` mounted at the root
                                      (``"o/<slug:org>/my-app/"`` for worker pages,
                                      ``"staff/o/<slug:org>/my-app/"`` for staff pages)
``respite_nav``                       ``[(url_name, label), ...]``: the worker menu of a portal
``respite_staff_nav``                 ``[(url_name, label, (role, ...)), ...]``: staff header and
                                      staff home links, for exactly the roles given
``respite_staff_global_nav``          ``[(url_name, label, "dotted.predicate"), ...]``: staff pages of
                                      no organization, shown when ``predicate(user)`` is true
``respite_api``                       ``(prefix, "dotted.router")``: a django-ninja router under /api/v1/
``respite_demo``                      ``"dotted.load"``: ``load(orgs)`` adds demo data (``respite demo``)
``respite_periodic``                  ``[PeriodicJob(...), ...]``: run by ``respite worker``; jobs with
                                      ``purge=True`` also by ``respite purge``
``respite_own_people``                ``[(kind, "dotted.available", "template.html"), ...]``: the
                                      organization's own people offered on a screening result when
                                      ``available(organization)`` is true. On an unsaved result the
                                      template is drawn once per outcome for everyone (a frame, see
                                      ``screening/result.html``): it may print ``save_url`` and
                                      ``save_token`` and read the organization, nothing else of
                                      the worker's screening
``respite_my_space``                  ``"dotted.section"``: ``section(request, code)`` returns a dict
                                      with a ``"template"`` key, shown on the worker's My space page
``respite_data_files``                ``["dotted.loader", ...]``: functions that load and validate the
                                      app's data files (``core.datafiles``), run by the system check
                                      so a broken file stops ``check``/``migrate``, not a page later
====================================  =========================================================

Data files are loaded when the apps are ready (``load_data_files``), so a broken one stops any
process at start-up. Shared code reads the hooks only through ``installed_hooks()``, which checks every declaration; the
system check ``respite.E001`` (run by ``respite check``, ``migrate`` and the server) reports a
wrong one by app and attribute, ``respite.E002`` a dotted path that does not import, and
``respite.E003`` a data file that does not load (its loader's message names the file and line).

Model-free, so an ``apps.py`` may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from respite.core.periodic import PeriodicJob

PREFIX = "respite_"
Label = str | Promise


class HookError(ImproperlyConfigured):
    """An ``AppConfig`` declares a hook the contract does not allow (the message says which)."""


@dataclass(frozen=True)
class NavLink:
    url_name: str
    label: Label


@dataclass(frozen=True)
class StaffLink:
    url_name: str
    label: Label
    roles: tuple[str, ...]


@dataclass(frozen=True)
class GlobalStaffLink:
    url_name: str
    label: Label
    predicate: str  # dotted path to predicate(user) -> bool


@dataclass(frozen=True)
class Mount:
    prefix: str
    target: str  # dotted path: a urls module or a ninja router


@dataclass(frozen=True)
class OwnPeople:
    kind: str
    available: str  # dotted path to available(organization) -> bool
    template: str


@dataclass(frozen=True)
class AppHooks:
    """What one app declared, checked and normalized."""

    app: str
    urls: tuple[Mount, ...] = ()
    nav: tuple[NavLink, ...] = ()
    staff_nav: tuple[StaffLink, ...] = ()
    staff_global_nav: tuple[GlobalStaffLink, ...] = ()
    api: Mount | None = None
    demo: str | None = None
    periodic: tuple[PeriodicJob, ...] = ()
    own_people: tuple[OwnPeople, ...] = ()
    my_space: str | None = None
    data_files: tuple[str, ...] = ()

    def dotted_paths(self) -> list[tuple[str, str]]:
        """(attribute, dotted path) of everything this app asks the portal to import."""
        out = [("respite_urls", m.target) for m in self.urls]
        out += [("respite_staff_global_nav", g.predicate) for g in self.staff_global_nav]
        out += [("respite_api", self.api.target)] if self.api else []
        out += [("respite_demo", self.demo)] if self.demo else []
        out += [("respite_periodic", j.func) for j in self.periodic]
        out += [("respite_own_people", o.available) for o in self.own_people]
        out += [("respite_my_space", self.my_space)] if self.my_space else []
        out += [("respite_data_files", loader) for loader in self.data_files]
        return out


# --- checking one declaration ---------------------------------------------------------------------


def _str(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, not {value!r}")
    return value


def _label(value: object, what: str) -> Label:
    if not isinstance(value, str | Promise) or not str(value):
        raise ValueError(f"{what} must be a text (a string or gettext_lazy), not {value!r}")
    return value


def _entries(value: object, size: int, shape: str) -> list[tuple[Any, ...]]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list of {shape}, not {type(value).__name__}")
    for entry in value:
        if not isinstance(entry, tuple) or len(entry) != size:
            raise ValueError(f"each entry must be a tuple {shape}, not {entry!r}")
    return list(value)


def _urls(value: object) -> tuple[Mount, ...]:
    return tuple(
        Mount(_str(p, "prefix") if p else "", _str(m, "the urls module"))
        for p, m in _entries(value, 2, '(prefix, "dotted.urls")')
    )


def _nav(value: object) -> tuple[NavLink, ...]:
    return tuple(
        NavLink(_str(n, "url name"), _label(lbl, "label"))
        for n, lbl in _entries(value, 2, "(url_name, label)")
    )


def _staff_nav(value: object) -> tuple[StaffLink, ...]:
    out = []
    for n, lbl, roles in _entries(value, 3, "(url_name, label, (role, ...))"):
        if not isinstance(roles, list | tuple) or not roles:
            raise ValueError(f"the roles of {n!r} must be a non-empty tuple of role names")
        out.append(
            StaffLink(_str(n, "url name"), _label(lbl, "label"), tuple(str(r) for r in roles))
        )
    return tuple(out)


def _staff_global_nav(value: object) -> tuple[GlobalStaffLink, ...]:
    return tuple(
        GlobalStaffLink(_str(n, "url name"), _label(lbl, "label"), _str(p, "predicate"))
        for n, lbl, p in _entries(value, 3, '(url_name, label, "dotted.predicate")')
    )


def _api(value: object) -> Mount:
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f'must be a tuple (prefix, "dotted.router"), not {value!r}')
    prefix, router = value
    if not isinstance(prefix, str):
        raise ValueError(f"the prefix must be a string, not {prefix!r}")
    return Mount(prefix, _str(router, "the router"))


def _periodic(value: object) -> tuple[PeriodicJob, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list of PeriodicJob, not {type(value).__name__}")
    for job in value:
        if not isinstance(job, PeriodicJob):
            raise ValueError(f"each entry must be a respite.core.periodic.PeriodicJob, not {job!r}")
    return tuple(value)


def _own_people(value: object) -> tuple[OwnPeople, ...]:
    return tuple(
        OwnPeople(_str(k, "kind"), _str(a, "available"), _str(t, "template"))
        for k, a, t in _entries(value, 3, '(kind, "dotted.available", "template.html")')
    )


def _dotted_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f'must be a list of "dotted.loader" paths, not {type(value).__name__}')
    return tuple(_str(v, "each loader") for v in value)


_READERS: dict[str, tuple[str, Callable[[object], object]]] = {
    "respite_urls": ("urls", _urls),
    "respite_nav": ("nav", _nav),
    "respite_staff_nav": ("staff_nav", _staff_nav),
    "respite_staff_global_nav": ("staff_global_nav", _staff_global_nav),
    "respite_api": ("api", _api),
    "respite_demo": ("demo", lambda v: _str(v, "the demo hook")),
    "respite_periodic": ("periodic", _periodic),
    "respite_own_people": ("own_people", _own_people),
    "respite_my_space": ("my_space", lambda v: _str(v, "the section hook")),
    "respite_data_files": ("data_files", _dotted_list),
}
HOOK_NAMES = tuple(_READERS)


def read(config: AppConfig) -> AppHooks:
    """The hooks ``config`` declares; HookError names the app and attribute of a wrong one."""
    declared = {n for n in vars(type(config)) if n.startswith(PREFIX)}
    unknown = sorted(declared - set(_READERS))
    if unknown:
        raise HookError(
            f"{config.label}: {', '.join(unknown)} is not a Respite hook "
            f"(the hooks are {', '.join(HOOK_NAMES)}; see respite.core.apphooks)"
        )
    values: dict[str, Any] = {}
    for attr, (field, reader) in _READERS.items():
        value = getattr(config, attr, None)
        if value is None:
            continue
        try:
            values[field] = reader(value)
        except ValueError as exc:
            raise HookError(f"{config.label}.{attr}: {exc}") from None
    return AppHooks(app=config.label, **values)


_cache: dict[tuple[AppConfig, ...], list[AppHooks]] = {}


def installed_hooks() -> list[AppHooks]:
    """Every installed app's hooks, in INSTALLED_APPS order (read once per set of apps)."""
    configs = tuple(apps.get_app_configs())
    hooks = _cache.get(configs)
    if hooks is None:
        hooks = [read(c) for c in configs]
        _cache.clear()
        _cache[configs] = hooks
    return hooks


# --- the system check -----------------------------------------------------------------------------


@checks.register()
def check_app_hooks(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """respite.E001: a hook of the wrong shape; respite.E002: a dotted path that does not import."""
    errors: list[checks.CheckMessage] = []
    for config in app_configs or apps.get_app_configs():
        try:
            hooks = read(config)
        except HookError as exc:
            errors.append(
                checks.Error(
                    str(exc),
                    hint="See the table in respite/core/apphooks.py and CONTRIBUTING.md.",
                    obj=config,
                    id="respite.E001",
                )
            )
            continue
        for attr, dotted in hooks.dotted_paths():
            try:
                if attr == "respite_urls":
                    import_module(dotted)
                else:
                    import_string(dotted)
            except ImportError as exc:
                errors.append(
                    checks.Error(
                        f"{config.label}.{attr}: {dotted!r} does not import ({exc})",
                        obj=config,
                        id="respite.E002",
                    )
                )
        errors += _check_data_files(config, hooks)
    return errors


def load_data_files() -> None:
    """Load every installed app's data files (``CoreConfig.ready``): in every process (server,
    worker, command, tests) a broken file stops the start, with the file and line in the message."""
    for hooks in installed_hooks():
        for dotted in hooks.data_files:
            try:
                import_string(dotted)()
            except Exception as exc:
                raise HookError(f"{hooks.app}: a data file does not load: {exc}") from exc


def _check_data_files(config: AppConfig, hooks: AppHooks) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for dotted in hooks.data_files:
        try:
            loader = import_string(dotted)
        except ImportError:
            continue  # reported as respite.E002
        try:
            loader()
        except Exception as exc:  # noqa: BLE001 - any failure to load is the finding
            errors.append(
                checks.Error(
                    f"{config.label}: a data file does not load: {exc}",
                    hint=f"Loaded by {dotted}; fix the file (core.datafiles names file and line).",
                    obj=config,
                    id="respite.E003",
                )
            )
    return errors
