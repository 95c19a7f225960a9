"""FHIR export: SDC Questionnaires and QuestionnaireResponses, as an EHR importing them would check.

Every export is validated with fhir.resources (R4B, and R5: the package top level); every LOINC code is checked against the
vendored extract; every response linkId exists in its Questionnaire; and the FHIRPath calculated items,
run by an independent engine (fhirpathpy) over the exported responses, give the instrument's own scores.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from datetime import date
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.questionnaire import Questionnaire as QuestionnaireR5
from fhir.resources.questionnaireresponse import QuestionnaireResponse as ResponseR5
from fhir.resources.R4B.bundle import Bundle as BundleR4B
from fhir.resources.R4B.questionnaire import Questionnaire as QuestionnaireR4B
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as ResponseR4B
from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models

from respite.screening import fhir
from respite.screening.instruments import INSTRUMENT_DIR, Instrument, registry

BASE = "https://respite.example.org"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"


def post(client, url, payload):
    return client.post(url, json.dumps(payload), content_type="application/json")


def codings(node: Any):
    """Every Coding-like dict anywhere in a resource."""
    if isinstance(node, dict):
        if "code" in node and "system" in node:
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from codings(value)


def link_ids(items: list[dict]) -> set[str]:
    return {i["linkId"] for i in items} | {x for i in items for x in link_ids(i.get("item", []))}


def sample_answers(inst: Instrument, rng: random.Random) -> dict[str, int]:
    """Random answers that follow the skip logic, the way a worker would fill the form."""
    answers: dict[str, int] = {}
    for item in inst.items:
        if inst.is_shown(item, answers):
            answers[item.id] = rng.choice(sorted(item.values))
    return answers


def extreme_answers(inst: Instrument) -> list[dict[str, int]]:
    """All-lowest and all-highest (skip logic followed), so every edge band is reached."""
    out = []
    for pick in (min, max):
        answers: dict[str, int] = {}
        for item in inst.items:
            if inst.is_shown(item, answers):
                answers[item.id] = pick(item.values)
        out.append(answers)
    return out


def exported_response(
    inst: Instrument, answers: dict[str, int], subject: str | None = None
) -> dict:
    result = inst.score(answers)
    row = SimpleNamespace(
        instrument=inst.id,
        rescore=lambda: result,
        screening=SimpleNamespace(taken_on=date(2026, 11, 2), language="es"),
        screening_id="s1",
        position=0,
    )
    return fhir.questionnaire_response(row, BASE, subject).model_dump(
        mode="json", exclude_none=True
    )


@pytest.fixture(scope="module")
def questionnaires() -> dict[str, dict]:
    return {
        i: fhir.questionnaire(inst, BASE).model_dump(mode="json", exclude_none=True)
        for i, inst in registry().items()
    }


# --- Questionnaires ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_every_instrument_is_served_as_a_valid_r4_and_r5_questionnaire_at_its_canonical_url(client):
    for inst_id in registry():
        data = client.get(f"/api/v1/instruments/{inst_id}/fhir").json()
        QuestionnaireR4B.model_validate(data)
        QuestionnaireR5.model_validate(data)
        url = urlsplit(data["url"])
        assert url.scheme in ("http", "https") and url.netloc
        assert data["version"] and data["publisher"] == "Respite"
        assert date.fromisoformat(data["date"])
        assert (
            "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
            in data["meta"]["profile"]
        )
        assert (
            client.get(url.path).json() == data
        )  # the canonical URL resolves to this Questionnaire
    assert client.get("/api/v1/fhir/Questionnaire/nope").status_code == 404


def test_every_loinc_code_is_in_the_vendored_extract_with_its_name(questionnaires):
    names = fhir.loinc_names()
    rng = random.Random(7)
    exports = list(questionnaires.values()) + [
        exported_response(inst, sample_answers(inst, rng))
        for inst in registry().values()
        for _ in range(3)
    ]
    used = set()
    for export in exports:
        for coding in codings(export):
            if coding["system"] == fhir.LOINC:
                assert coding["code"] in names, coding
                assert coding["display"] == names[coding["code"]], coding
                used.add(coding["code"])
    assert used == set(names), set(names) - used  # no dead rows in the extract either
    assert "LOINC is copyright" in questionnaires["phq9"]["copyright"]


def test_loinc_codes_where_loinc_has_them(questionnaires):
    phq9 = questionnaires["phq9"]
    assert phq9["code"][0]["code"] == "44249-1"
    options = phq9["item"][0]["answerOption"]
    assert [o["valueCoding"]["code"] for o in options] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]
    assert [o["valueCoding"]["extension"][0] for o in options] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": v}
        for v in range(4)
    ]
    total = next(i for i in phq9["item"] if i["linkId"] == "score-total")
    assert (
        total["code"][0]["code"] == "44261-6" and total["type"] == "integer" and total["readOnly"]
    )
    hvs = questionnaires["hvs"]
    risk = next(i for i in hvs["item"] if i.get("code", [{}])[0].get("code") == "88124-3")
    assert risk["type"] == "choice"
    assert {o["valueCoding"]["code"] for o in risk["answerOption"]} == {"LA19952-3", "LA19983-8"}
    assert [o["valueCoding"]["code"] for o in hvs["item"][0]["answerOption"]] == [
        "LA28397-0",
        "LA6729-3",
        "LA28398-8",
    ]
    cssrs = questionnaires["cssrs"]
    assert {o["valueCoding"]["code"] for o in cssrs["item"][0]["answerOption"]} == {
        "LA33-6",
        "LA32-8",
    }


def test_every_answer_option_carries_its_score(questionnaires):
    for inst_id, q in questionnaires.items():
        inst = registry()[inst_id]
        for item in inst.items:
            entry = next(i for i in q["item"] if i["linkId"] == item.id)
            ordinals = [
                o["valueCoding"]["extension"][0]["valueDecimal"] for o in entry["answerOption"]
            ]
            assert ordinals == [o.value for o in item.options], (inst_id, item.id)


def test_every_scale_is_a_calculated_item(questionnaires):
    for inst_id, q in questionnaires.items():
        for scale in registry()[inst_id].scales:
            result = next(i for i in q["item"] if i["linkId"] == f"result-{scale.id}")
            assert result["extension"][0]["url"] == CALCULATED
            assert result["extension"][0]["valueExpression"]["language"] == "text/fhirpath"
    proqol = {i["linkId"] for i in questionnaires["proqol5"]["item"]}
    assert {
        "score-burnout",
        "score-secondary_traumatic_stress",
        "score-compassion_satisfaction",
    } <= proqol
    assert "result-risk" in {i["linkId"] for i in questionnaires["cssrs"]["item"]}


def test_spanish_is_on_text_not_on_the_item(questionnaires):
    for inst_id, q in questionnaires.items():
        inst = registry()[inst_id]
        assert "extension" not in q or all(
            e["url"] != fhir.TRANSLATION for e in q.get("extension", [])
        )
        for item in inst.items:
            entry = next(i for i in q["item"] if i["linkId"] == item.id)
            assert all(e["url"] != fhir.TRANSLATION for e in entry.get("extension", []))
            (translation,) = entry["_text"]["extension"]
            assert translation["url"] == fhir.TRANSLATION
            assert {"url": "content", "valueString": item.text["es"]} in translation["extension"]


def test_questionnaire_versions_move_with_the_instrument_files():
    pinned = fhir.versions()
    assert set(pinned) == set(registry()), (
        "every instrument needs an entry in screening/data/fhir_versions.json"
    )
    for inst_id in registry():
        digest = hashlib.sha256((INSTRUMENT_DIR / f"{inst_id}.yaml").read_bytes()).hexdigest()
        assert pinned[inst_id]["sha256"] == digest, (
            f"{inst_id}.yaml changed: raise its version and date in screening/data/fhir_versions.json "
            f"and set sha256 to {digest}"
        )


# --- QuestionnaireResponses and calculated items -------------------------------------------------
def test_calculated_items_give_the_instruments_own_scores(questionnaires):
    rng = random.Random(20)
    model = models["r4"]
    checked = 0
    for inst_id, inst in registry().items():
        q = questionnaires[inst_id]
        calculated = {
            i["linkId"]: compile_fhirpath(i["extension"][0]["valueExpression"]["expression"], model)
            for i in q["item"]
            if "extension" in i
        }
        for answers in itertools.chain(
            extreme_answers(inst), (sample_answers(inst, rng) for _ in range(15))
        ):
            result = inst.score(answers)
            response = exported_response(inst, answers)
            # the engine sees only the answers, not the exported scores
            answers_only = {
                **response,
                "item": [i for i in response["item"] if i["linkId"] not in calculated],
            }
            env = {"resource": answers_only, "questionnaire": q}
            for scale_result in result.scales:
                scale = scale_result.scale
                if scale_result.score is not None:
                    got = calculated[f"score-{scale.id}"](answers_only, env)
                    assert got == [scale_result.score], (inst_id, scale.id, answers)
                got = calculated[f"result-{scale.id}"](answers_only, env)
                exported = next(i for i in response["item"] if i["linkId"] == f"result-{scale.id}")
                assert [c["code"] for c in got] == [exported["answer"][0]["valueCoding"]["code"]], (
                    inst_id,
                    answers,
                )
                checked += 1
    assert checked > 150


def test_responses_use_only_their_questionnaires_link_ids_and_pin_its_version(questionnaires):
    rng = random.Random(3)
    for inst_id, inst in registry().items():
        q = questionnaires[inst_id]
        for _ in range(5):
            response = exported_response(inst, sample_answers(inst, rng))
            ResponseR4B.model_validate(response)
            ResponseR5.model_validate(response)
            assert link_ids(response["item"]) <= link_ids(q["item"])
            assert response["questionnaire"] == f"{q['url']}|{q['version']}"
            assert "subject" not in response and "author" not in response
            assert response["authored"] == "2026-11-02"  # the day only


def test_hvs_risk_is_coded_and_cssrs_carries_its_risk_level():
    hvs = exported_response(registry()["hvs"], {"1": 1, "2": 0})
    risk = next(i for i in hvs["item"] if i["linkId"] == "result-risk")["answer"][0]["valueCoding"]
    assert risk == {"system": "http://loinc.org", "code": "LA19952-3", "display": "At risk"}
    cssrs = exported_response(registry()["cssrs"], {"1": 1, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0})
    level = next(i for i in cssrs["item"] if i["linkId"] == "result-risk")["answer"][0][
        "valueCoding"
    ]
    assert level["code"] == "high" and level["display"] == "High risk"
    proqol = exported_response(registry()["proqol5"], {str(n): 3 for n in range(1, 31)})
    scores = {
        i["linkId"]: i["answer"][0]["valueInteger"]
        for i in proqol["item"]
        if i["linkId"].startswith("score-")
    }
    assert scores == {
        "score-burnout": 30,
        "score-secondary_traumatic_stress": 30,
        "score-compassion_satisfaction": 30,
    }


# --- over the API ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_saved_screenings_export_as_a_bundle_with_an_optional_subject(client, org):
    payload = {
        "organization": org.slug,
        "save": True,
        "results": [
            {"instrument": "phq9", "answers": [1, 1, 1, 1, 0, 0, 0, 0, 0]},
            {"instrument": "hvs", "answers": [2, 0]},
        ],
    }
    code = post(client, "/api/v1/screenings", payload).json()["access_code"]
    plain = post(client, "/api/v1/screenings/lookup/fhir", {"access_code": code}).json()
    BundleR4B.model_validate(plain)
    BundleR5.model_validate(plain)
    responses = [e["resource"] for e in plain["entry"]]
    assert all("subject" not in r for r in responses)
    phq9 = next(r for r in responses if "/Questionnaire/phq9|" in r["questionnaire"])
    assert phq9["questionnaire"].startswith("http://testserver/api/v1/fhir/Questionnaire/phq9|")
    total = next(i for i in phq9["item"] if i["linkId"] == "score-total")
    assert total["answer"] == [{"valueInteger": 4}] and "definition" not in total

    with_subject = post(
        client,
        "/api/v1/screenings/lookup/fhir",
        {"access_code": code, "subject": "Patient/abc-123"},
    )
    assert {e["resource"]["subject"]["reference"] for e in with_subject.json()["entry"]} == {
        "Patient/abc-123"
    }
    for bad in ("javascript:alert(1)", "Patient/", "patient/1", "Patient/" + "x" * 100, "<b>/1"):
        response = post(
            client, "/api/v1/screenings/lookup/fhir", {"access_code": code, "subject": bad}
        )
        assert response.status_code == 422, bad
