"""LOG_FORMAT=json: one JSON object per line, scrubbed like the plain format (which now also scrubs
tracebacks). Each case configures logging the way the server does, in a fresh process."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from django.test import RequestFactory

from respite.ops.tests.helpers import ROOT, server_env

# Logs what a careless caller might: an address in the message, a browser's user agent, an exception
# whose text quotes an address, and a Django request record (which carries the request object).
SCRIPT = r"""
import logging
import django
django.setup()
from django.test import RequestFactory
log = logging.getLogger("respite.test")
log.warning("sign-in failed from %s with %s", "203.0.113.77", "Mozilla/5.0 (X11; Linux) Chrome/120.0 Safari/537")
try:
    raise ConnectionError("could not reach 198.51.100.23 port 5432")
except ConnectionError:
    log.exception("database call failed for 2001:db8::1:2:3:4")
request = RequestFactory().post("/o/acme/my/", {"code": "secret-typed-code"}, REMOTE_ADDR="192.0.2.99",
                                HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/605")
logging.getLogger("django.request").error("Internal Server Error: %s", request.path,
                                          extra={"request": request, "status_code": 500})
"""
LEAKS = [
    "203.0.113.77",
    "198.51.100.23",
    "2001:db8",
    "192.0.2.99",
    "Mozilla",
    "iPhone",
    "secret-typed-code",
]


def _run(log_format: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=server_env(LOG_FORMAT=log_format),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_json_logs_are_one_scrubbed_object_per_line():
    result = _run("json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 3
    warning, failure, request_error = lines
    assert set(warning) == {"time", "level", "logger", "message"}
    assert warning["level"] == "WARNING" and warning["logger"] == "respite.test"
    assert warning["message"] == "sign-in failed from [ip] with [user-agent]"
    assert "ConnectionError: could not reach [ip] port 5432" in failure["exception"]
    assert failure["message"] == "database call failed for [ip]"
    assert request_error["logger"] == "django.request" and set(request_error) == {
        "time",
        "level",
        "logger",
        "message",
    }
    for leak in LEAKS:
        assert leak not in result.stderr


def test_plain_logs_scrub_tracebacks_too():
    result = _run("plain")
    assert result.returncode == 0, result.stderr
    assert "could not reach [ip] port 5432" in result.stderr
    for leak in LEAKS:
        assert leak not in result.stderr


def test_an_unknown_log_format_stops_start_up():
    result = _run("xml")
    assert result.returncode != 0 and "LOG_FORMAT must be 'plain' or 'json'" in result.stderr


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("from 2001:db8::1:2:3:4 now", "from [ip] now"),
        ("peer ::ffff:192.0.2.1 closed", "peer [ip] closed"),
        ("host 2001:db8::7: refused", "host [ip]: refused"),
        ("link fe80::1%eth0, up", "link [ip], up"),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", "[ip]"),
        ("[::1]:8000 and 10.0.0.1:8000", "[[ip]]:8000 and [ip]:8000"),
        # Times and ratios stay readable.
        ("started at 18:33:39 UTC, ratio 3:2", "started at 18:33:39 UTC, ratio 3:2"),
    ],
)
def test_scrub_catches_every_spelling_of_an_address(text, scrubbed):
    from respite.core.logging import scrub

    assert scrub(text) == scrubbed


def test_the_json_formatter_is_safe_on_a_handler_without_the_privacy_filter():
    """An operator's own logging config may use the formatter alone: it still writes only its fixed
    keys (never the request Django attaches) and scrubs the message, the traceback and the stack."""
    from respite.ops.logs import JsonFormatter

    request = RequestFactory().get("/o/acme/my/", REMOTE_ADDR="192.0.2.99")
    try:
        raise ConnectionError("could not reach 198.51.100.23 port 5432")
    except ConnectionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "failed for %s", ("203.0.113.77",), exc_info
    )
    record.request = request
    record.stack_info = 'File "x.py", line 1, in peer 2001:db8::1:2:3:4'
    entry = json.loads(JsonFormatter().format(record))
    assert set(entry) == {"time", "level", "logger", "message", "exception", "stack"}
    assert (entry["level"], entry["logger"]) == ("ERROR", "django.request")
    assert entry["message"] == "failed for [ip]"
    assert "ConnectionError: could not reach [ip] port 5432" in entry["exception"]
    assert entry["stack"].endswith("in peer [ip]")
    assert entry["time"].endswith("+00:00")
    for leak in ("192.0.2.99", "198.51.100.23", "203.0.113.77", "2001:db8"):
        assert leak not in json.dumps(entry)
    plain = logging.LogRecord("respite.test", logging.INFO, __file__, 1, "started", (), None)
    assert set(json.loads(JsonFormatter().format(plain))) == {"time", "level", "logger", "message"}
