"""One page shape for every list the API returns: HSDS 3's, which the directory API already uses.

``?page=`` (from 1) and ``?per_page=`` (1-100, default 20) in; ``total_items``, ``total_pages``,
``page_number``, ``size``, ``first_page``, ``last_page``, ``empty`` and ``contents`` out. Use it on a
list endpoint with ``@paginated`` (under ``@router.get``), or build the same dict with ``page()``.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase, paginate

MAX_PER_PAGE = 100


def page(items: list, total: int, number: int, per_page: int, **extra: Any) -> dict[str, Any]:
    pages = max(1, math.ceil(total / per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(items),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": not items,
        "contents": items,
        **extra,
    }


class PageFacts(Schema):
    """Where a page stands in the list: every paginated answer starts with these (``page()``)."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class PageNumber(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=10000, description="Page number, from 1.")
        per_page: int = Field(
            20, ge=1, le=MAX_PER_PAGE, description="Items per page (at most 100)."
        )

    class Output(PageFacts):
        contents: list[Any]

    items_attribute = "contents"

    def paginate_queryset(
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> Any:
        total = self._items_count(queryset)
        start = (pagination.page - 1) * pagination.per_page
        items = list(queryset[start : start + pagination.per_page])
        return page(items, total, pagination.page, pagination.per_page)


def paginated(view: Callable) -> Callable:
    """``@paginate(PageNumber)`` for a view in a module with ``from __future__ import annotations``.

    ninja reads the wrapped view's parameter annotations in the wrapper's module, where names such as
    ``Lang`` do not exist; resolving them here, in the view's own module, first avoids that.
    """
    view.__annotations__ = typing.get_type_hints(view, include_extras=True)
    return paginate(PageNumber)(view)
