"""FHIR export: instruments as Questionnaires, saved screenings as QuestionnaireResponses.

Built and validated with ``fhir.resources``' R4B models; Questionnaire and QuestionnaireResponse did
not change between R4 and R4B, so the JSON is valid R4 as well.
"""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from respite.screening import instruments

LOINC = "http://loinc.org"
BASE = "urn:respite:instrument"


def canonical(inst: instruments.Instrument) -> str:
    return f"{BASE}:{inst.id}"


def _coding(inst: instruments.Instrument, item: instruments.Item, value: int) -> dict:
    return {"system": f"{canonical(inst)}:{item.id}", "code": str(value), "display": item.option_label(value, "en")}


def questionnaire(inst: instruments.Instrument) -> Questionnaire:
    items = []
    for item in inst.items:
        entry = {
            "linkId": item.id,
            "text": item.text["en"],
            "type": "choice",
            "required": item.show_if is None,
            "answerOption": [{"valueCoding": _coding(inst, item, o.value)} for o in item.options],
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
                           "extension": [{"url": "lang", "valueCode": "es"},
                                         {"url": "content", "valueString": item.text["es"]}]}],
        }
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        if item.show_if:
            gate, value = item.show_if
            entry["enableWhen"] = [{"question": gate, "operator": "=",
                                    "answerCoding": _coding(inst, inst.item(gate), value)}]
        items.append(entry)
    data = {
        "resourceType": "Questionnaire",
        "id": inst.id.replace("_", "-"),
        "url": canonical(inst),
        "name": inst.short_name.replace("-", "").replace(" ", ""),
        "title": inst.name["en"],
        "status": "active",
        "description": inst.description["en"],
        "copyright": inst.source,
        "item": items,
    }
    if inst.loinc.get("panel"):
        data["code"] = [{"system": LOINC, "code": inst.loinc["panel"]}]
    return Questionnaire.model_validate(data)


def questionnaire_response(result_row) -> QuestionnaireResponse:
    """One saved instrument result. Carries no subject, author or time beyond the day taken."""
    inst = instruments.get(result_row.instrument)
    result = result_row.rescore()
    items = [
        {"linkId": item.id, "text": item.text["en"],
         "answer": [{"valueCoding": _coding(inst, item, result.answers[item.id])}]}
        for item in inst.items if item.id in result.answers
    ]
    if result.headline.score is not None:
        total = {"linkId": "total", "text": f"{inst.short_name} {result.headline.scale.name['en']}",
                 "answer": [{"valueInteger": result.headline.score}]}
        if inst.loinc.get("total"):
            total["definition"] = f"{LOINC}#{inst.loinc['total']}"
        items.append(total)
    return QuestionnaireResponse.model_validate({
        "resourceType": "QuestionnaireResponse",
        "id": f"{result_row.screening_id}-{result_row.position}",
        "questionnaire": canonical(inst),
        "status": "completed",
        "authored": result_row.screening.taken_on.isoformat(),
        "item": items,
    })


def bundle(screenings) -> Bundle:
    entries = [{"resource": questionnaire_response(r)} for s in screenings for r in s.results.all()]
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})
