"""Logging filter that keeps identifying data out of every log line.

Django's request logging attaches the request (and with it REMOTE_ADDR, the user agent and POST
data) to records; handlers that format ``%(request)s`` or exception reports could leak them. This
filter drops those attributes and scrubs IP addresses and user-agent strings from the message.
"""

from __future__ import annotations

import ipaddress
import logging
import re

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Any run of hex digits, colons and dots with two or more colons is a candidate; ipaddress decides.
# (A pattern alone misses compressed forms such as 2001:db8::7 and IPv4-mapped ::ffff:192.0.2.1.)
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%\w+)?")
_UA = re.compile(r"(Mozilla|Opera|AppleWebKit|Chrome|Safari|HeadlessChrome)/[^\s\"']+(?:[^\"'\n]*)")

_DROP = ("request", "server_time")
_TRACEBACKS = logging.Formatter()


def _ipv6(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.rstrip(":.")  # "refused by 2001:db8::7:" ends a sentence with a colon
    try:
        ipaddress.IPv6Address(core)
    except ValueError:
        return token  # a time (18:33:39), a port list, a URL scheme...
    return "[ip]" + token[len(core) :]


def scrub(text: str) -> str:
    text = _IPV6_CANDIDATE.sub(_ipv6, text)
    text = _IPV4.sub("[ip]", text)
    return _UA.sub("[user-agent]", text)


class PrivacyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for attr in _DROP:
            if hasattr(record, attr):
                setattr(record, attr, None)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not crash logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        # Formatters only render a traceback after the filters ran; render it here so it is scrubbed
        # too (formatters reuse exc_text when it is set). An exception's text can quote an address.
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
