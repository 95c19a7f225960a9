"""Import a module on first use, so pages and commands that never need it never pay for loading it.

Heavy libraries (numpy, matplotlib, WeasyPrint, model2vec, OpenDP, fhir.resources, pypdf...) are
imported inside the functions that use them. Where a whole module of ours is built on one (directory
search on numpy), its importers bind it lazily instead::

    if TYPE_CHECKING:
        from respite.directory import search as directory_search
    else:
        directory_search = lazy_module("respite.directory.search")

``core/tests/test_startup.py`` imports the URLconf and every app's models and views in a fresh
process and fails if any heavy library was loaded. In production gunicorn preloads the application
and answers a warm-up request before forking (``respite.gunicorn``), so workers start with these
modules already in memory.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.utils.functional import SimpleLazyObject


def lazy_module(name: str) -> ModuleType:
    """A stand-in for ``import name`` that imports the module on first attribute access."""
    return SimpleLazyObject(lambda: importlib.import_module(name))  # type: ignore[return-value]
