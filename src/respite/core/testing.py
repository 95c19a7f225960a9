"""Test-data factories: plain ``make_*`` functions (house style), used by every app's tests."""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from django.contrib.auth import get_user_model

from respite.core.models import Membership, Organization
from respite.core.rfc6238 import totp_code as totp_code  # re-exported: tests import it from here
from respite.core.roles import StaffRole

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"  # noqa: S105


def find(pattern: str, text: str, group: int = 1) -> str:
    """``group`` of the first match of ``pattern`` in ``text``; a test fails here, naming the
    pattern, when the page lacks it (instead of an AttributeError on None further on)."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not found in {text[:300]!r}..."
    return match.group(group)


def page_words(html: str) -> set[str]:
    """Every word in ``html`` (text and attributes alike) except the per-request random values,
    the CSRF token and the CSP nonce. A privacy test asks whether a short name ("ER") appears;
    searching the raw page would also hit those random strings now and then, and fail for no reason."""
    html = re.sub(r'nonce="[^"]*"', "", html)
    html = re.sub(r'csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return set(re.findall(r"\w+", html))


def make_org(slug: str | None = None, **kwargs) -> Organization:
    n = next(_seq)
    slug = slug or f"org-{n}"
    return Organization.objects.create(
        slug=slug, name=kwargs.pop("name", f"Organization {n}"), **kwargs
    )


def make_user(username: str | None = None, **kwargs):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **kwargs)
    return user


def make_staff(org: Organization | None, role: str, username: str | None = None):
    user = make_user(username)
    Membership.objects.create(
        user=user, organization=None if role == StaffRole.PLATFORM_ADMIN else org, role=role
    )
    return user


def enrol_two_factor(user: Any) -> str:
    """Give an account a confirmed authenticator; returns its base32 key (for ``totp_code``)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return base64.b32encode(device.bin_key).decode()


def assert_tagged_pdf(data: bytes, lang: str) -> dict:
    """Fail unless ``data`` is a tagged PDF/UA document: structure tree, MarkInfo, language and title.

    Returns the structure-element roles found (e.g. {"H1": 1, "P": 12}) for further checks.
    """
    import io
    from collections import Counter

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    # pypdf types every value as PdfObject; this walks the catalog's dictionaries.
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "no structure tree: the PDF is untagged"
    assert root["/MarkInfo"]["/Marked"].value is True
    assert str(root["/Lang"]).lower().startswith(lang), (
        f"document language {root.get('/Lang')!r}, wanted {lang}"
    )
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata is not None and reader.metadata.get("/Title"), "no document title"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data(), (
        "no PDF/UA identification in XMP"
    )
    roles: Counter[str] = Counter()
    stack = [root["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        kids = node.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and "/S" in kid:
                role = str(kid["/S"]).lstrip("/")
                roles[role] += 1
                if role == "Figure":  # PDF/UA: a picture needs a text alternative
                    assert str(kid.get("/Alt", "")).strip(), "a figure has no alt text"
                stack.append(kid)
    assert roles, "the structure tree is empty"
    return dict(roles)


def run_tasks(max_tasks: int = 500) -> int:
    """Run every task that is due, as `respite worker` would, in this process and this test's
    transaction (the worker's own loop closes connections between tasks, which would end a test's
    transaction). Tasks that enqueue more due tasks are followed. Returns how many ran."""
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    for ran in range(max_tasks):
        with transaction.atomic():
            result = DBTaskResult.objects.ready().get_locked()
            if result is None:
                return ran
            result.claim(worker.worker_id)
        worker.run_task(result)
    raise AssertionError(f"more than {max_tasks} tasks: a task keeps enqueuing itself?")


# The keys of every paginated API answer (HSDS 3's page shape), as API clients read them.
PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def free_port() -> int:
    """A loopback port nothing listens on (once the probe socket is closed)."""
    import socket
    from contextlib import closing

    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """A real SMTP server's handler (aiosmtpd) that keeps (recipients, raw message) for each delivery."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def start_smtp(port: int):
    """Start a real SMTP server on 127.0.0.1:port; returns (controller, inbox). Stop the controller."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=60)
    controller.start()
    return controller, inbox


def sealed_links(html: str) -> dict[str, str]:
    """Every link or form target in ``html`` that names an object through a sealed segment
    (``core.urlseal``), as {path: the id it names}. Tests use it where they used to build the URL."""
    import re

    from respite.core.urlseal import unseal

    found: dict[str, str] = {}
    for path in re.findall(r'(?:href|action)="(/[^"?#]*)', html):
        for segment in path.strip("/").split("/"):
            plain = unseal(segment) if len(segment) >= 40 else None
            if plain is not None:
                found[path] = plain
    return found


def axe_violations(page: Any) -> list[str]:
    """axe-core (the npm package, bundled by axe-playwright-python and injected into the Playwright
    page) with the WCAG 2.0/2.1/2.2 A and AA rules: one line per broken rule, with the first elements
    it found, so a failing test says where to look."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    assert results.response["passes"], "axe-core did not run"
    return [
        f"{v['id']}: " + "; ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]


def browser_page(browser: Any, lang: str, device: str) -> tuple[Any, Any]:
    """A new Playwright context and page in ``lang`` on a phone (390x844) or a desktop, recording
    console errors in ``page.problems`` and every URL it asks for in ``page.requests``."""
    options: dict[str, Any] = {"locale": "es-ES" if lang == "es" else "en-US"}
    if device == "phone":
        options.update(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    else:
        options.update(viewport={"width": 1280, "height": 900})
    context = browser.new_context(**options)
    page = context.new_page()
    page.problems = []
    page.requests = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("request", lambda req: page.requests.append(req.url))
    return context, page
