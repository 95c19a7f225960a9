"""Community kit: composer check and note-safety throughput, PDF render time (no database needed).

The composer re-checks the post on every pause in typing (htmx), so its check must stay well under
a frame budget; the PDFs are rendered on request, so their time is what an organizer waits.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta


def _setup() -> None:
    import django

    django.setup()


def _timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run() -> dict:
    _setup()
    from django.utils import timezone

    from respite.community import notesafety, social, toolkit
    from respite.community.models import Event
    from respite.core import pdf
    from respite.core.models import Organization
    from respite.core.resources import crisis_options

    rng = random.Random(7)
    posts = [p["text"] for lang in ("en", "es") for p in toolkit.social(lang)["posts"]]
    words = " ".join(posts).split()
    samples = [" ".join(rng.choice(words) for _ in range(rng.randint(10, 400))) for _ in range(500)]
    it = iter(samples * 4)
    check_ms = _timed(lambda: social.check(next(it)), 2000)
    it2 = iter(samples * 4)
    note_ms = _timed(
        lambda: notesafety.personal_data_problems(notesafety.sanitize(next(it2)[:1000])), 2000
    )

    org = Organization(slug="bench", name="Bench Health", state="CA")
    event = Event(
        organization=org,
        title="Bench night",
        format="in_person",
        place="Room 1",
        audience="mixed",
        starts_at=timezone.now() + timedelta(days=3),
        notes_for="ER",
        state="CA",
    )
    packet_ctx = {
        "event": event,
        "guide": toolkit.discussion_guide("mixed", "in_person"),
        "resources": {
            "source": "toolkit",
            "directory": [],
            "worker_groups": toolkit.resource_groups("worker"),
            "organization_groups": toolkit.resource_groups("organization"),
        },
        "crisis_options": crisis_options("en"),
        "source": toolkit.toolkit_data()["source"],
        "organization": org,
    }
    cards_ctx = {
        "notes": toolkit.notes(),
        "event": event,
        "source": toolkit.toolkit_data()["source"],
        "organization": org,
    }
    pdf.render_pdf("community/pdf/cards.html", cards_ctx)  # warm-up: fonts and Pango
    packet_ms = _timed(lambda: pdf.render_pdf("community/pdf/packet.html", packet_ctx), 5)
    cards_ms = _timed(lambda: pdf.render_pdf("community/pdf/cards.html", cards_ctx), 5)

    def row(name: str, ms: list[float]) -> str:
        ms = sorted(ms)
        return f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {ms[int(len(ms) * 0.95) - 1]:.2f} |"

    return {
        "check_median_ms": statistics.median(check_ms),
        "packet_median_ms": statistics.median(packet_ms),
        "markdown": [
            "| operation | runs | median ms | p95 ms |",
            "|---|---|---|---|",
            row("composer check (10-400 words)", check_ms),
            row("note sanitize + patient-data check", note_ms),
            row("facilitator packet PDF", packet_ms),
            row("note cards PDF", cards_ms),
        ],
    }
