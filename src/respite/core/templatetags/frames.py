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
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from django import template
from django.template.base import FilterExpression, Node, NodeList, Parser, Token
from django.template.context import Context
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
CSRF = f"csrf{_MARK}"
NONCE = f"nonce{_MARK}"
PATH = f"path{_MARK}"

MAX_FRAMES = 512  # organizations × languages × menus; beyond that the least recently used go
_frames: ProcessCache[str] = ProcessCache(MAX_FRAMES)
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
    def __init__(self, nodelist: NodeList, vary_on: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.vary_on = vary_on
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
        text = _frames.get(key)
        if text is None:
            with context.push(csrf_token=CSRF, CSP_NONCE=NONCE, current_path=PATH):
                text = self.nodelist.render(context)
            _frames.put(key, text)
        if CSRF in text:
            # The lazy token of the csrf context processor: reading it also sets the CSRF cookie.
            text = text.replace(CSRF, conditional_escape(str(context.get("csrf_token", ""))))
        if NONCE in text:
            text = text.replace(NONCE, conditional_escape(str(getattr(request, "csp_nonce", ""))))
        if PATH in text:  # last: the address is the visitor's own text
            text = text.replace(PATH, conditional_escape(request.get_full_path()))
        return mark_safe(text)  # noqa: S308 - rendered by the template engine, values escaped above


@register.tag("frame")
def do_frame(parser: Parser, token: Token) -> FrameNode:
    nodelist = parser.parse(("endframe",))
    parser.delete_first_token()
    vary_on = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    return FrameNode(nodelist, vary_on)


def clear() -> None:
    """Forget every rendered frame (tests that change a template's inputs behind its key)."""
    _frames.clear()
