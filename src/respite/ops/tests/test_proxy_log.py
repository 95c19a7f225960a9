"""Someone who reads the proxy's access log (an operator, a log-shipping vendor, a stolen disk) wants to
know who opened which worker page when. The nginx configuration in docs/deploy.md is the one operators
copy; this test reads it as they would and checks that its access log can hold no path of a worker
page, no query string, no address, agent or referrer."""

from __future__ import annotations

import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[4] / "docs" / "deploy.md"

# Variables that carry the request line, the path, the query, the client or its headers.
REVEALING = re.compile(
    r"\$(request|request_uri|uri|document_uri|args|query_string|arg_\w+|is_args|request_filename|"
    r"remote_addr|remote_port|binary_remote_addr|proxy_add_x_forwarded_for|realip_remote_addr|"
    r"http_\w+|cookie_\w+|remote_user|request_body|server_name|host)\b"
)
WORKER_PATHS = [
    "/",
    "/crisis/",
    "/o/acme/",
    "/o/acme/check-in/",
    "/o/acme/results/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A/",
    "/o/acme/counseling/cases/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A/",
    "/o/acme/peer-support/status/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A/",
    "/o/acme/pulse/t/",
    "/o/acme/community/manage/secret-token/",
    "/staff/invitation/secret-token/",
    "/staff/password/reset/MQ/secret-token/",
]


def _nginx_block() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY.read_text(), re.S)
    block = next(b for b in blocks if "log_format" in b)
    return re.sub(r"#[^\n]*", "", block)  # comments say nothing to nginx


def _maps(block: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """``map $source $target { ... }`` → {target: (source, [(pattern, value), ...])}."""
    found = {}
    for source, target, body in re.findall(r"map\s+\$(\w+)\s+\$(\w+)\s*\{(.*?)\}", block, re.S):
        entries = []
        for line in body.strip().splitlines():
            parts = line.strip().rstrip(";").split(None, 1)
            if len(parts) == 2:
                entries.append((parts[0], parts[1].strip().strip('"')))
        found[target] = (source, entries)
    return found


def _lookup(entries: list[tuple[str, str]], value: str) -> str:
    """nginx's order: exact strings first, then regular expressions in order, then the default."""
    exact = {p: v for p, v in entries if not p.startswith("~") and p != "default"}
    if value in exact:
        return exact[value]
    for pattern, result in entries:
        if pattern.startswith("~") and re.search(pattern.lstrip("~*"), value):
            return result
    return dict(entries).get("default", "")


def test_the_documented_access_log_holds_no_worker_path_query_address_or_agent():
    block = _nginx_block()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+'([^;]*)';", block))
    assert formats, "the documented configuration defines no log format"
    logs = re.findall(r"access_log\s+\S+\s+(\w+)\s*;", block)
    assert logs and all(name in formats for name in logs), "access_log must use the safe format"
    maps = _maps(block)
    for name in logs:
        fmt = formats[name]
        assert not REVEALING.findall(fmt), REVEALING.findall(fmt)
        for variable in re.findall(r"\$(\w+)", fmt):
            if variable not in maps:
                assert variable in {
                    "time_iso8601",
                    "time_local",
                    "msec",
                    "request_method",
                    "status",
                    "body_bytes_sent",
                    "bytes_sent",
                    "request_time",
                    "upstream_response_time",
                    "server_protocol",
                }, variable
                continue
            source, entries = maps[variable]
            assert entries and "default" in dict(entries)
            for _pattern, value in entries:
                assert "$" not in value, (variable, value)  # a class, never a copy of the path
            for path in WORKER_PATHS:
                logged = _lookup(entries, path)
                assert logged and "/" not in logged and "secret" not in logged, (path, logged)
            assert _lookup(entries, "/o/acme/counseling/") == _lookup(entries, "/crisis/")


def test_the_check_reads_the_map_as_nginx_does():
    """The checker is not vacuous: a map that lets paths through is caught."""
    leaky = [("default", "worker"), ("~^/o/", "$uri"), ("~^/staff/", "staff")]
    assert _lookup(leaky, "/o/acme/results/x/") == "$uri"
    assert _lookup([("default", "worker"), ("/crisis/", "crisis")], "/crisis/") == "crisis"
    assert REVEALING.findall("$time_iso8601 $request $status") == ["request"]
