"""The JSON API and ``respite audit_questions`` give the same findings as the staff pages."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from respite.credentialing import readers
from respite.credentialing.tests.factories import make_docx, make_pdf

FORM = (
    "Board of Nursing\n1. Have you ever been treated for depression?\n"
    "2. Do you currently have any condition that impairs your ability to practice nursing?\n"
)


def _run(*args) -> list[dict]:
    out = io.StringIO()
    call_command("audit_questions", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_api_audits_text(client):
    response = client.post(
        "/api/v1/credentialing/audit", {"text": FORM, "lang": "es"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["profession"] == "nursing"
    first, second = body["questions"]
    assert first["label"] == "intrusive" and first["location"] == {"paragraph": 1, "line": 2}
    assert {r["id"] for r in first["reasons"]} >= {
        "asks_past",
        "diagnosis_or_treatment",
        "singles_out_mental_health",
    }
    assert "ejercer la enfermería" in first["suggestion"]
    assert second["label"] == "acceptable" and second["suggestion"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"text": ""},
        {"text": "x" * 500_001},
        {"text": FORM, "lang": "fr"},
        {"text": FORM, "profession": "astrology"},
    ],
)
def test_api_rejects_bad_input_with_422(client, payload):
    response = client.post("/api/v1/credentialing/audit", payload, content_type="application/json")
    assert response.status_code == 422
    assert "detail" in response.json()


def test_command_prints_one_json_object_per_question(tmp_path):
    path = tmp_path / "form.txt"
    path.write_text(FORM)
    rows = _run(str(path))
    assert [r["label"] for r in rows] == ["intrusive", "acceptable"]
    assert rows[0]["text"] == "Have you ever been treated for depression?"
    assert rows[0]["location"] == {"paragraph": 1, "line": 2}
    assert rows[0]["reasons"][0] == {"id": "asks_past", "text": rows[0]["reasons"][0]["text"]}
    assert "practice nursing" in rows[0]["suggestion"]


@pytest.mark.parametrize(("name", "maker"), [("form.pdf", make_pdf), ("form.docx", make_docx)])
def test_command_reads_pdf_and_docx(tmp_path, name, maker):
    path = tmp_path / name
    path.write_bytes(maker())
    rows = _run(str(path), "--profession", "pharmacy")
    assert [r["label"] for r in rows] == ["intrusive", "other", "intrusive", "acceptable"]
    assert "practice pharmacy" in rows[0]["suggestion"]


def test_command_errors_are_clear(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _run(str(tmp_path / "missing.pdf"))
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="could not be read"):
        _run(str(bad))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(readers.MAX_BYTES + 1)  # sparse: the size is checked before reading
    with pytest.raises(CommandError, match="larger than 5 MB"):
        _run(str(huge))


def test_command_reads_pasted_text_from_stdin_and_answers_in_spanish(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(FORM))
    rows = _run("-", "--lang", "es")
    assert [r["label"] for r in rows] == ["intrusive", "acceptable"]
    assert rows[0]["text"] == "Have you ever been treated for depression?"
    assert "enfermería" in rows[0]["suggestion"]
