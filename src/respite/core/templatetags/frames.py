"""``{% frame %}``: a part of a page that is the same for every visitor, rendered once per process.

The page frame (head, header, menu, footer) was over half the CPU of a worker page (issue 19), though
it differs between visitors only in three values: the CSRF token, the CSP nonce and the page's own
address (the language form's "next"). Inside a frame those three are placeholders; the frame's
markup is rendered once per key (the tag's arguments, plus the language) and each request fills in
its own values. So one visitor's token or nonce can never reach another: the cached text holds
neither.

    {% load frames %}
    {% frame organization.slug organization.name %} ... {{ csrf_token }} {{ CSP_NONCE }} {{ current_path }} ... {% endframe %}

Every value the fragment shows must be in its arguments (or be the same for everyone); the key also
carries the language. Inside a frame, write ``{{ CSP_NONCE }}`` and ``{{ current_path }}``, not
``request.csp_nonce`` or ``request.get_full_path``, which would be frozen into the cached text.

A value that differs per visitor but is only printed (a sealed address, a signed token, a block of
text rendered beforehand) is a *fill*: named after ``fill``, it is a placeholder in the cached text and
each request puts in its own value, escaped like ``{{ }}`` would. Only print a fill (``{{ name }}``):
in ``{% if %}`` or a filter it is the placeholder, not the value.

    {% frame organization.slug signed_in fill save_url=save_url lines=result_lines %} ... {% endframe %}

A frame inside another frame leaves the token, nonce and address to the outer one, which fills them
per request. A frame with fills cannot be inside another frame: its values would be drawn into the
outer frame's text once, for whoever came first.
"""

from __future__ import annotations

import itertools
import re
import secrets
from typing import Any

from django import template
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    Parser,
    Token,
    token_kwargs,
)
from django.template.context import Context
from django.template.exceptions import TemplateSyntaxError
from django.template.loader_tags import BlockNode, ExtendsNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from respite.core.memo import ProcessCache

register = template.Library()

# Placeholders that escaping leaves alone; random per process, so no visitor can know them and plant
# one in the address to have it replaced by a token (the address is filled in last anyway).
_MARK = secrets.token_hex(8)
CSRF = f"{_MARK}csrf"
NONCE = f"{_MARK}nonce"
PATH = f"{_MARK}path"
_FILL = f"{_MARK}fill-"
# What a frame is drawn with in place of each request's own values.
_PER_REQUEST = {"csrf_token": CSRF, "CSP_NONCE": NONCE, "current_path": PATH}
# Every placeholder, captured whole: a frame's text is cut at them once, when it is drawn (_split).
_PLACEHOLDER = re.compile(f"({_MARK}(?:csrf|nonce|path|fill-[A-Za-z_][A-Za-z0-9_]*-))")
_INSIDE = f"inside{_MARK}"  # set in the context while a frame is drawn for the cache

# Organizations × languages × (menus + result outcomes); beyond that the least recently used go.
MAX_FRAMES = 1024
_frames: ProcessCache[tuple[str, ...]] = ProcessCache(MAX_FRAMES)  # parts: see _split
# A number per parsed node, not id(): a reloaded template (development) gets new numbers, and a
# freed node's id may be reused by another.
_node_numbers = itertools.count()


def _hashable(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if callable(value):  # the portal's services are a callable in the context
        return _hashable(value())
    return value


class FrameNode(Node):
    # Django walks a parent template's node tree on every render of a page that extends it, looking
    # for ``{% block %}`` nodes (``ExtendsNode.render``); base.html's frames hold most of its nodes,
    # and that walk was 2 % of the worker flow. Nothing a walk looks for may be inside a frame: a
    # block or an extends is refused there (``do_frame``), so the walk can skip the frame's contents.
    child_nodelists = ()

    def __init__(
        self,
        nodelist: NodeList,
        vary_on: list[FilterExpression],
        fills: dict[str, FilterExpression] | None = None,
    ) -> None:
        self.nodelist = nodelist
        self.vary_on = vary_on
        self.fills = fills or {}
        self.number = next(_node_numbers)

    def render(self, context: Context) -> SafeString:
        request = context.get("request")
        if request is None:  # rendered outside a request (an e-mail): nothing to fill in
            return self.nodelist.render(context)
        key = (
            self.number,
            get_language(),
            get_script_prefix(),  # what {% url %} inside the frame reads besides its arguments
            get_urlconf(),
            *(_hashable(v.resolve(context)) for v in self.vary_on),
        )
        inside = bool(context.get(_INSIDE))
        if inside and self.fills:
            raise TemplateSyntaxError(
                "{% frame %} with fills inside another frame: the outer frame would keep the first"
                " visitor's values"
            )
        parts = _frames.get(key)
        if parts is None:
            # Our own text, no visitor's: safe as it is.
            placeholders = {name: mark_safe(f"{_FILL}{name}-") for name in self.fills}  # noqa: S308
            with context.push(**_PER_REQUEST, **placeholders, **{_INSIDE: True}):
                parts = _split(self.nodelist.render(context))
            _frames.put(key, parts)
        if len(parts) == 1 or inside:  # inside: the outer frame fills them per request
            return mark_safe("".join(parts))  # noqa: S308 - rendered by the template engine
        values: dict[str, str] = {}
        filled = list(parts)
        for at in range(1, len(parts), 2):
            found = parts[at]
            out = values.get(found)
            if out is None:
                out = values[found] = self._value(found, context, request)
            filled[at] = out
        return mark_safe("".join(filled))  # noqa: S308 - every value escaped in _value

    def _value(self, found: str, context: Context, request: Any) -> str:
        """This request's value for one placeholder, escaped (a fill of no frame's is left as is)."""
        if found.startswith(_FILL):
            fill = self.fills.get(found[len(_FILL) : -1])
            if fill is None:  # not one of this frame's (no frame inside has any): left as it is
                return found
            return conditional_escape(fill.resolve(context))
        if found == CSRF:
            # The lazy token of the csrf context processor: reading it also sets the CSRF cookie.
            return conditional_escape(str(context.get("csrf_token", "")))
        if found == NONCE:
            return conditional_escape(str(getattr(request, "csp_nonce", "")))
        return conditional_escape(request.get_full_path())


def _split(text: str) -> tuple[str, ...]:
    """A drawn frame cut at its placeholders, kept that way: text, placeholder, text, ..., text
    (``re.split`` keeps what the pattern captures). Filling a frame is then a join of the parts
    with this request's values, not a search of its whole text on every request; a value put in is
    never searched for placeholders."""
    return tuple(_PLACEHOLDER.split(text))


@register.tag("frame")
def do_frame(parser: Parser, token: Token) -> FrameNode:
    bits = token.split_contents()[1:]
    fills: dict[str, FilterExpression] = {}
    if "fill" in bits:
        at = bits.index("fill")
        rest = bits[at + 1 :]
        fills = token_kwargs(rest, parser)
        if rest or not fills:
            raise TemplateSyntaxError("{% frame %}: after 'fill', only name=value pairs")
        if reserved := fills.keys() & _PER_REQUEST.keys():
            raise TemplateSyntaxError(
                f"{{% frame %}}: {', '.join(sorted(reserved))} is filled already"
            )
        bits = bits[:at]
    nodelist = parser.parse(("endframe",))
    parser.delete_first_token()
    # A child template's block would change the frame's text behind its key, and Django's node walks
    # (blocks to override, a second extends) skip a frame's contents (``FrameNode.child_nodelists``).
    if nodelist.get_nodes_by_type(BlockNode) or nodelist.get_nodes_by_type(ExtendsNode):
        raise TemplateSyntaxError("{% frame %} cannot hold a {% block %} or {% extends %}")
    return FrameNode(nodelist, [parser.compile_filter(bit) for bit in bits], fills)


def clear() -> None:
    """Forget every rendered frame (tests that change a template's inputs behind its key)."""
    _frames.clear()
