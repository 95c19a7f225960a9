"""FHIR export: instruments as SDC Questionnaires, saved screenings as QuestionnaireResponses.

What an EHR or form filler gets:

* LOINC codes for panels, questions, scores and answers wherever LOINC has them (``data/loinc.csv``
  lists every one used, with its source); Respite's own code systems elsewhere.
* Each answer option carries its score in the ``ordinalValue`` extension.
* Every scale is a read-only calculated item (SDC ``calculatedExpression``, FHIRPath): the score, and
  the band it falls in as a coded answer. That gives the PHQ-9 total (LOINC 44261-6), ProQOL's three
  subscales, the C-SSRS risk level and the Hunger Vital Sign risk (LOINC 88124-3, At risk / No risk).
  The expressions read only answer codes, so they work with responses from any filler.
* Spanish on ``_text`` / ``_title`` / ``_display`` with the core ``translation`` extension.
* An http(s) canonical URL that resolves to the Questionnaire, with version, date and publisher. The
  version is pinned per instrument in ``data/fhir_versions.json`` and must change with the wording.

A QuestionnaireResponse uses only its Questionnaire's linkIds, points at ``url|version`` and carries a
``subject`` only when the caller supplies one. It holds no author and no time beyond the day taken.

Built from plain dicts and validated with ``fhir.resources``' R4B models (Questionnaire and
QuestionnaireResponse did not change between R4 and R4B, so the JSON is valid R4); the tests also
validate it against the R5 models.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # fhir.resources (pydantic models) is imported where used: it is slow to load
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from respite.screening import instruments
from respite.screening.instruments import Instrument, Item, Scale

DATA = Path(__file__).parent / "data"
LOINC = "http://loinc.org"
PUBLISHER = "Respite"
SDC_QUESTIONNAIRE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
LOINC_NOTICE = (
    "This material contains content from LOINC (https://loinc.org). LOINC is copyright © Regenstrief Institute, "
    "Inc. and the Logical Observation Identifiers Names and Codes (LOINC) Committee and is available at no cost "
    "under the license at https://loinc.org/license."
)

# LOINC answer codes by the English option label. Only codes checked on loinc.org (see data/LOINC-SOURCE.md).
ANSWER_CODES = {
    "Not at all": "LA6568-5",
    "Several days": "LA6569-3",
    "More than half the days": "LA6570-1",
    "Nearly every day": "LA6571-9",
    "Often true": "LA28397-0",
    "Sometimes true": "LA6729-3",
    "Never true": "LA28398-8",
    "Yes": "LA33-6",
    "No": "LA32-8",
}
# Coded results of a scale, by (instrument, scale): the item code and the LOINC answer per band.
SCALE_RESULT_CODES = {
    ("hvs", "risk"): ("88124-3", {"at_risk": "LA19952-3", "not_at_risk": "LA19983-8"}),
}
# Spanish for LOINC displays that are not an option label of ours.
LOINC_SPANISH = {"LA19952-3": "En riesgo", "LA19983-8": "Sin riesgo"}


@lru_cache(maxsize=1)
def loinc_names() -> dict[str, str]:
    """The vendored LOINC extract: code -> display name."""
    with (DATA / "loinc.csv").open(encoding="utf-8") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


@lru_cache(maxsize=1)
def versions() -> dict[str, dict[str, str]]:
    return json.loads((DATA / "fhir_versions.json").read_text(encoding="utf-8"))


def loinc(code: str) -> dict[str, str]:
    """A LOINC Coding; a code missing from the extract is a programming error, caught by the tests."""
    return {"system": LOINC, "code": code, "display": loinc_names()[code]}


def canonical(inst: Instrument, base: str) -> str:
    """``base`` is the site's origin (https://host); the URL answers with this Questionnaire."""
    return f"{base.rstrip('/')}/api/v1/fhir/Questionnaire/{inst.id}"


def _code_system(inst: Instrument, base: str, what: str) -> str:
    return f"{canonical(inst, base)}/CodeSystem/{what}"


def _translated(text: dict[str, str]) -> dict[str, Any]:
    """``_text``-style element: the Spanish as a translation extension."""
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [
                    {"url": "lang", "valueCode": "es"},
                    {"url": "content", "valueString": text["es"]},
                ],
            }
        ]
    }


def answer_coding(inst: Instrument, item: Item, value: int, base: str) -> dict[str, Any]:
    option = next(o for o in item.options if o.value == value)
    code = ANSWER_CODES.get(option.label["en"])
    coding = (
        loinc(code)
        if code
        else {
            "system": _code_system(inst, base, "answers"),
            "code": str(value),
            "display": option.label["en"],
        }
    )
    return {
        **coding,
        "extension": [{"url": ORDINAL, "valueDecimal": value}],
        "_display": _translated(option.label),
    }


def _plain(coding: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in coding.items() if k in ("system", "code", "display")}


# --- FHIRPath for the calculated items --------------------------------------------------------
def _fp_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _answers(link_ids: list[str]) -> str:
    ids = " | ".join(_fp_str(i) for i in link_ids)
    return f"%resource.item.where(linkId in ({ids})).answer.value.code"


def _points(inst: Instrument, item: Item, base: str, reverse: bool) -> str:
    """Answer code -> points, as a nested iif (reversed items count max+min-value)."""
    lo, hi = min(item.values), max(item.values)
    expression = "{}"
    for option in reversed(item.options):
        points = lo + hi - option.value if reverse else option.value
        code = answer_coding(inst, item, option.value, base)["code"]
        expression = f"iif($this = {_fp_str(code)}, {points}, {expression})"
    return expression


def score_expression(inst: Instrument, scale: Scale, base: str) -> str:
    """FHIRPath that gives the scale's score from the answers of a QuestionnaireResponse."""
    groups: dict[tuple[bool, tuple[int, ...]], list[str]] = {}
    for item_id in scale.items:
        item = inst.item(item_id)
        key = (item_id in scale.reverse, tuple(o.value for o in item.options))
        groups.setdefault(key, []).append(item_id)
    parts = []
    for (reverse, _values), ids in groups.items():
        points = _points(inst, inst.item(ids[0]), base, reverse)
        selected = f"{_answers(ids)}.select({points})"
        if scale.method == "count":
            parts.append(f"{selected}.where($this >= {scale.at_least}).count()")
        else:
            # aggregate, not sum(): sum() is not in every FHIRPath engine yet
            parts.append(f"{selected}.aggregate($this + $total, 0)")
    return " + ".join(f"({p})" for p in parts)


def _score_link(scale: Scale) -> str:
    return f"score-{scale.id}"


def _band_link(scale: Scale) -> str:
    return f"result-{scale.id}"


def band_coding(inst: Instrument, scale: Scale, band_id: str, base: str) -> dict[str, Any]:
    band = scale.band(band_id)
    special = SCALE_RESULT_CODES.get((inst.id, scale.id))
    if special:
        coding = loinc(special[1][band_id])
        return {
            **coding,
            "_display": _translated({"en": coding["display"], "es": LOINC_SPANISH[coding["code"]]}),
        }
    coding = {
        "system": _code_system(inst, base, scale.id),
        "code": band.id,
        "display": band.label["en"],
    }
    return {**coding, "_display": _translated(band.label)}


def band_expression(inst: Instrument, scale: Scale, base: str) -> str:
    """FHIRPath that picks the band's coding from this item's own answer options."""

    def option(band_id: str) -> str:
        code = band_coding(inst, scale, band_id, base)["code"]
        return (
            f"%questionnaire.item.where(linkId = {_fp_str(_band_link(scale))})"
            f".answerOption.value.where(code = {_fp_str(code)})"
        )

    if scale.method == "rules":
        expression = option(scale.default_band or scale.bands[-1].id)
        for any_of, band_id in reversed(scale.rules):
            tests = " or ".join(
                f"%resource.item.where(linkId = {_fp_str(item_id)}).answer.value"
                f".where(code = {_fp_str(answer_coding(inst, inst.item(item_id), value, base)['code'])}).exists()"
                for item_id, value in any_of.items()
            )
            expression = f"iif({tests}, {option(band_id)}, {expression})"
        return expression
    score = f"({score_expression(inst, scale, base)})"
    bands = sorted(scale.bands, key=lambda b: b.min or 0)
    expression = option(bands[-1].id)
    for band in reversed(bands[:-1]):
        expression = f"iif({score} <= {band.max}, {option(band.id)}, {expression})"
    return expression


def _calculated(expression: str, description: str) -> dict[str, Any]:
    return {
        "url": CALCULATED,
        "valueExpression": {
            "description": description,
            "language": "text/fhirpath",
            "expression": expression,
        },
    }


def _scale_items(inst: Instrument, scale: Scale, headline: bool, base: str) -> list[dict[str, Any]]:
    items = []
    name = f"{inst.short_name} {scale.name['en']}"
    if scale.method != "rules":
        score: dict[str, Any] = {
            "linkId": _score_link(scale),
            "text": f"{name} score",
            "type": "integer",
            "readOnly": True,
            "extension": [_calculated(score_expression(inst, scale, base), f"{name} score")],
        }
        if headline and inst.loinc.get("total"):
            score["code"] = [loinc(inst.loinc["total"])]
        items.append(score)
    special = SCALE_RESULT_CODES.get((inst.id, scale.id))
    result: dict[str, Any] = {
        "linkId": _band_link(scale),
        "text": name,
        "_text": _translated({"en": name, "es": f"{inst.short_name} {scale.name['es']}"}),
        "type": "choice",
        "readOnly": True,
        "extension": [_calculated(band_expression(inst, scale, base), name)],
        "answerOption": [
            {"valueCoding": band_coding(inst, scale, b.id, base)} for b in scale.bands
        ],
    }
    if special:
        result["code"] = [loinc(special[0])]
    items.append(result)
    return items


def questionnaire_dict(inst: Instrument, base: str) -> dict[str, Any]:
    pinned = versions()[inst.id]
    items = []
    for item in inst.items:
        entry: dict[str, Any] = {
            "linkId": item.id,
            "text": item.text["en"],
            "_text": _translated(item.text),
            "type": "choice",
            "required": item.show_if is None,
            "answerOption": [
                {"valueCoding": answer_coding(inst, item, o.value, base)} for o in item.options
            ],
        }
        if item.loinc:
            entry["code"] = [loinc(item.loinc)]
        if item.show_if:
            gate, value = item.show_if
            entry["enableWhen"] = [
                {
                    "question": gate,
                    "operator": "=",
                    "answerCoding": _plain(answer_coding(inst, inst.item(gate), value, base)),
                }
            ]
        items.append(entry)
    for n, scale in enumerate(inst.scales):
        items.extend(_scale_items(inst, scale, n == 0, base))
    data: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": inst.id,
        "meta": {"profile": [SDC_QUESTIONNAIRE]},
        "language": "en",
        "url": canonical(inst, base),
        "version": pinned["version"],
        "name": "".join(ch for ch in inst.short_name if ch.isalnum()),
        "title": inst.name["en"],
        "_title": _translated(inst.name),
        "status": "active",
        "subjectType": ["Patient"],
        "date": pinned["date"],
        "publisher": PUBLISHER,
        "description": inst.description["en"],
        "purpose": "Self-screening for health workers; not a diagnosis.",
        "copyright": inst.source + (" " + LOINC_NOTICE if _uses_loinc(inst) else ""),
        "item": items,
    }
    if inst.loinc.get("panel"):
        data["code"] = [loinc(inst.loinc["panel"])]
    return data


def _uses_loinc(inst: Instrument) -> bool:
    return bool(inst.loinc) or any(
        i.loinc or any(o.label["en"] in ANSWER_CODES for o in i.options) for i in inst.items
    )


def questionnaire(inst: Instrument, base: str) -> Questionnaire:
    from fhir.resources.R4B.questionnaire import Questionnaire

    return Questionnaire.model_validate(questionnaire_dict(inst, base))


def questionnaire_response_dict(
    result_row, base: str, subject: str | None = None
) -> dict[str, Any]:
    """One saved instrument result. No author; the day taken, not the time; a subject only if given."""
    inst = instruments.get(result_row.instrument)
    result = result_row.rescore()
    pinned = versions()[inst.id]
    items: list[dict[str, Any]] = [
        {
            "linkId": item.id,
            "text": item.text["en"],
            "answer": [
                {"valueCoding": _plain(answer_coding(inst, item, result.answers[item.id], base))}
            ],
        }
        for item in inst.items
        if item.id in result.answers
    ]
    for scale_result in result.scales:
        scale = scale_result.scale
        name = f"{inst.short_name} {scale.name['en']}"
        if scale.method != "rules" and scale_result.score is not None:
            items.append(
                {
                    "linkId": _score_link(scale),
                    "text": f"{name} score",
                    "answer": [{"valueInteger": scale_result.score}],
                }
            )
        coding = _plain(band_coding(inst, scale, scale_result.band.id, base))
        items.append(
            {"linkId": _band_link(scale), "text": name, "answer": [{"valueCoding": coding}]}
        )
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"{result_row.screening_id}-{result_row.position}",
        "questionnaire": f"{canonical(inst, base)}|{pinned['version']}",
        "status": "completed",
        "authored": result_row.screening.taken_on.isoformat(),
        "item": items,
    }
    if result_row.screening.language:
        data["language"] = result_row.screening.language
    if subject:
        data["subject"] = {"reference": subject}
    return data


def questionnaire_response(
    result_row, base: str, subject: str | None = None
) -> QuestionnaireResponse:
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    return QuestionnaireResponse.model_validate(
        questionnaire_response_dict(result_row, base, subject)
    )


def bundle(screenings, base: str, subject: str | None = None) -> Bundle:
    from fhir.resources.R4B.bundle import Bundle

    entries = [
        {"resource": questionnaire_response(r, base, subject)}
        for s in screenings
        for r in s.results.all()
    ]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})
