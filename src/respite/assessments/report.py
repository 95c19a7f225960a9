"""The board report of one assessment: scorecard, ranked gaps with suggestions, action plan and
commitments, as a context for the page, a PDF (WeasyPrint) and a CSV with the same content."""

from __future__ import annotations

import base64
import csv
import io
import unicodedata
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from respite.assessments import charts, frameworks, links
from respite.assessments.models import ActionItem, Assessment, Commitment
from respite.core.pdf import render_pdf


def chart_svg(assessment: Assessment, lang: str | None = None) -> bytes:
    card = assessment.scorecard(lang)
    previous = assessment.previous()
    before = None
    if previous is not None:
        by_area = previous.scorecard(lang).percent_by_area()
        before = [by_area.get(a.area.id) for a in card.areas]
    return charts.scorecard_svg(
        [(a.name, a.percent) for a in card.areas],
        before,
        labels=(
            _("This assessment"),
            _("Previous (%(date)s)") % {"date": previous.on_date.isoformat()} if previous else "",
        ),
    )


def build(
    assessment: Assessment, lang: str | None = None, *, measures: bool = True
) -> dict[str, Any]:
    """Everything the scorecard page, PDF and CSV show. ``measures`` asks the pulse app (slower)."""
    spec = assessment.spec
    card = assessment.scorecard(lang)
    previous = assessment.previous()
    before = previous.scorecard(lang).percent_by_area() if previous else {}
    directory = links.directory_suggestions(assessment.organization)
    gaps = [
        {
            "score": g,
            "rank": n,
            "weak": [
                {
                    "text": frameworks.tr(c.text, lang),
                    "level": frameworks.tr(spec.level_label(v), lang),
                    "value": v,
                }
                for c, v in g.weak
            ],
            "examples": [
                {
                    "name": e.name,
                    "description": frameworks.tr(e.description, lang),
                    "url": e.url or "",
                }
                for e in g.area.examples
            ],
        }
        for n, g in enumerate(card.gaps(), start=1)
    ]
    items = list(
        ActionItem.objects.filter(organization=assessment.organization, framework=spec.id)
        .select_related("owner_account")
        .exclude(status=ActionItem.Status.DROPPED)
        .order_by("due_date", "pk")
    )
    plan = []
    for item in items:
        measure = (
            links.measure_before_after(
                assessment.organization, item.measure_key, item.measure_date()
            )
            if measures and item.measure_key
            else None
        )
        plan.append(
            {
                "item": item,
                "area": item.area_name(lang),
                "goal": item.goal_text(lang),
                "measure": measure,
            }
        )
    # What each rating rests on, in the framework's order: boards read the evidence beside the score.
    answers = assessment.answer_map()
    evidence = [
        {
            "area": frameworks.tr(area.name, lang),
            "criterion": frameworks.tr(c.text, lang),
            "level": frameworks.tr(spec.level_label(answers[c.id].value), lang),
            "note": printable(answers[c.id].note),
            "on": answers[c.id].answered_at.date(),
        }
        for area in spec.areas
        for c in area.criteria
        if c.id in answers and answers[c.id].note.strip()
    ]
    # Commitments are the organization's pledges whichever framework suggested them.
    commitments = list(
        Commitment.objects.filter(organization=assessment.organization).exclude(
            status=Commitment.Status.WITHDRAWN
        )
    )
    return {
        "assessment": assessment,
        "organization": assessment.organization,
        "framework": spec,
        "framework_name": frameworks.tr(spec.name, lang),
        "card": card,
        "rows": [
            {
                "score": a,
                "before": before.get(a.area.id),
                "delta": _delta(a.percent, before.get(a.area.id)),
            }
            for a in card.areas
        ],
        "previous": previous,
        "gaps": gaps,
        "directory": directory,
        "plan": plan,
        "commitments": commitments,
        "evidence": evidence,
        "generated_at": timezone.now(),
    }


def printable(text: str) -> str:
    """Text as a board should read it: line and paragraph separators become new lines, invisible
    format characters (zero-width joiners, bidi overrides that can reverse what a reader sees) go,
    and compatibility forms (full-width "＜") become their plain letters (NFKC), which also keeps the
    PDF's text extractable."""
    text = unicodedata.normalize("NFKC", text).replace("\u2028", "\n").replace("\u2029", "\n")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cf", "Cc"))


def _delta(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def pdf(context: dict[str, Any], lang: str | None = None) -> bytes:
    """Render the report as a tagged PDF. The chart is embedded as an SVG data URI, so no URL is fetched."""
    svg = chart_svg(context["assessment"], lang)
    return render_pdf(
        "assessments/report_pdf.html",
        {
            **context,
            "chart_uri": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        },
        lang=lang,
    )


def _cell(value: Any) -> Any:
    """Neutralize spreadsheet formulas in text typed by staff: = + - @ at the start gets a quote."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Writer:
    def __init__(self, buf: io.StringIO):
        self._w = csv.writer(buf)

    def writerow(self, values: list[Any]) -> None:
        self._w.writerow([_cell(v) for v in values])


def csv_text(context: dict[str, Any]) -> str:
    """The same report as CSV, one section per block, for boards that prefer spreadsheets."""
    buf = io.StringIO()
    w = _Writer(buf)
    a = context["assessment"]
    w.writerow([_("Report"), context["framework_name"], a.title, a.on_date.isoformat()])
    w.writerow([])
    w.writerow(
        [
            _("Scorecard"),
            _("Area"),
            _("Score (%)"),
            _("Previous (%)"),
            _("Change"),
            _("Answered"),
            _("Criteria"),
        ]
    )
    for row in context["rows"]:
        s = row["score"]
        w.writerow(
            ["scorecard", s.name, s.percent, row["before"], row["delta"], s.answered, s.total]
        )
    w.writerow(
        [
            "scorecard",
            _("Overall"),
            context["card"].overall,
            "",
            "",
            context["card"].answered,
            context["card"].total,
        ]
    )
    w.writerow([])
    w.writerow(
        [
            _("Gaps"),
            _("Rank"),
            _("Area"),
            _("Score (%)"),
            _("Weakest criterion"),
            _("Rating"),
            _("Suggestions"),
        ]
    )
    for gap in context["gaps"]:
        weakest = gap["weak"][0] if gap["weak"] else {"text": "", "level": ""}
        w.writerow(
            [
                "gap",
                gap["rank"],
                gap["score"].name,
                gap["score"].percent,
                weakest["text"],
                weakest["level"],
                "; ".join(e["name"] for e in gap["examples"]),
            ]
        )
    w.writerow([])
    w.writerow(
        [
            _("Action plan"),
            _("Action"),
            _("Area"),
            _("Goal"),
            _("Owner"),
            _("Due date"),
            _("Status"),
            _("Measure"),
            _("Before"),
            _("After"),
        ]
    )
    for row in context["plan"]:
        item, m = row["item"], row["measure"]
        w.writerow(
            [
                "action",
                item.title,
                row["area"],
                row["goal"],
                item.owner_display,
                item.due_date.isoformat() if item.due_date else "",
                item.get_status_display(),
                (m or {}).get("label", item.measure_key),
                _side_text(m["before"]) if m else "",
                _side_text(m["after"]) if m else "",
            ]
        )
    w.writerow([])
    w.writerow(
        [_("Evidence notes"), _("Area"), _("Criterion"), _("Rating"), _("Evidence"), _("Date")]
    )
    for e in context["evidence"]:
        w.writerow(
            ["evidence", e["area"], e["criterion"], e["level"], e["note"], e["on"].isoformat()]
        )
    w.writerow([])
    w.writerow([_("Commitments"), _("Commitment"), _("Target date"), _("Status")])
    for c in context["commitments"]:
        w.writerow(["commitment", c.title, c.target_date.isoformat(), c.get_status_display()])
    return buf.getvalue()


def _side_text(side: dict[str, Any]) -> str:
    if side["suppressed"]:
        return _("suppressed")
    return "" if side["value"] is None else str(side["value"])
