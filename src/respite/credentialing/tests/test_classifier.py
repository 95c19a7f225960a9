"""Accuracy of the auditor on the shared sample and on our labeled evaluation set, plus paraphrase checks.

The evaluation set (data/labeled_questions.tsv) carries a source on every line and says whether the
wording is quoted from that source (``verbatim``) or written for the set after a pattern the source
documents (``constructed``). The metrics are written to bench/results/credentialing_accuracy.json and
printed by ``make test``; the thresholds are asserted: no intrusive question labeled acceptable,
intrusive recall 1.0, acceptable recall at least 0.9 and accuracy at least 0.95.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from respite.credentialing import auditor

HERE = Path(__file__).resolve()
REPO = HERE.parents[4]
# A copy of /work/shared/credentialing-sample.tsv, kept apart from our own labeled set.
SAMPLE = HERE.parent / "data" / "credentialing-sample.tsv"
LABELED = HERE.parents[1] / "data" / "labeled_questions.tsv"
RESULTS = REPO / "bench" / "results" / "credentialing_accuracy.json"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _metrics(rows: list[dict[str, str]]) -> dict:
    predicted = [auditor.classify(r["question"]).label for r in rows]
    gold = [r["label"] for r in rows]
    intrusive = [p for p, g in zip(predicted, gold, strict=True) if g == "intrusive"]
    acceptable = [p for p, g in zip(predicted, gold, strict=True) if g == "acceptable"]
    return {
        "questions": len(rows),
        "accuracy": round(sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(rows), 4),
        "intrusive_recall": round(sum(p == "intrusive" for p in intrusive) / len(intrusive), 4),
        "acceptable_recall": round(sum(p == "acceptable" for p in acceptable) / len(acceptable), 4),
        "intrusive_labeled_acceptable": sum(p == "acceptable" for p in intrusive),
        "errors": [
            {"question": r["question"], "gold": g, "predicted": p}
            for r, p, g in zip(rows, predicted, gold, strict=True)
            if p != g
        ],
    }


def test_accuracy_on_sample_and_labeled_set(capsys):
    results = {"sample": _metrics(_rows(SAMPLE)), "labeled": _metrics(_rows(LABELED))}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    with capsys.disabled():  # make test shows the figures, not only the JSON file
        print(
            "\ncredentialing auditor: "
            + " ".join(
                f"{name}: n={m['questions']} accuracy={m['accuracy']} intrusive_recall={m['intrusive_recall']}"
                f" acceptable_recall={m['acceptable_recall']}"
                for name, m in results.items()
            )
        )
    for name, m in results.items():
        assert m["intrusive_labeled_acceptable"] == 0, (name, m["errors"])
        assert m["intrusive_recall"] == 1.0, (name, m["errors"])
        assert m["accuracy"] >= 0.9, (name, m["errors"])
    labeled = results["labeled"]
    assert labeled["accuracy"] >= 0.95, labeled["errors"]
    assert labeled["acceptable_recall"] >= 0.9, labeled["errors"]


def test_every_line_of_the_evaluation_set_has_a_source():
    rows = _rows(LABELED)
    for row in rows:
        assert row["source"].strip(), row
        assert row["provenance"] in {"verbatim", "constructed"}, row
    assert sum(r["provenance"] == "verbatim" for r in rows) >= 20
    assert sum(r["label"] == "acceptable" for r in rows) >= 30


def test_labeled_set_is_broad_and_separate_from_the_sample():
    rows = _rows(LABELED)
    assert len(rows) >= 150
    assert {r["label"] for r in rows} == {"intrusive", "acceptable", "other"}
    professions = {r["profession"] for r in rows}
    assert {
        "medicine",
        "nursing",
        "pharmacy",
        "psychology",
        "physician_assistant",
        "ems",
        "social_work",
    } <= professions
    sample = {r["question"].strip().lower() for r in _rows(SAMPLE)}
    assert not sample & {r["question"].strip().lower() for r in rows}


def test_every_verdict_carries_checkable_reasons():
    for row in _rows(LABELED):
        verdict = auditor.classify(row["question"])
        assert verdict.reasons, row
        for reason in verdict.reasons:
            assert auditor.vocabulary().reasons[reason]["label"] == verdict.label
            assert auditor.reason_text(reason, "en") and auditor.reason_text(reason, "es")


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("Have you ever been diagnosed with depression?", "asks_past"),
        ("Are you currently receiving treatment for any condition?", "diagnosis_or_treatment"),
        (
            "Do you currently have a psychiatric condition that impairs your ability to practice?",
            "singles_out_mental_health",
        ),
        (
            "Do you have any condition that may affect your ability to practice in the future?",
            "predicts_future",
        ),
        (
            "Do you currently have any condition* that impairs your ability to practice?",
            "fine_print",
        ),
        ("In the past three years, have you used illegal drugs?", "substance_use_history"),
        ("Do you currently drink alcohol?", "substance_use_current"),
        ("Do you have any physical or mental condition?", "condition_not_impairment"),
    ],
)
def test_each_reason_is_found(question, reason):
    verdict = auditor.classify(question)
    assert verdict.label == "intrusive"
    assert reason in verdict.reasons


def test_fsmb_question_is_acceptable_and_so_is_the_suggestion_in_every_profession():
    for profession in auditor.vocabulary().professions:
        text = auditor.suggestion(profession, "en")
        assert auditor.classify(text) == auditor.Verdict(
            "acceptable", ("current_impairment_any_cause",)
        ), profession


def test_suggestion_adapts_to_the_profession_named_by_the_form():
    assert "practice medicine" in auditor.suggestion(None)
    assert "practice nursing" in auditor.suggestion("nursing")
    assert "ejercer la farmacia" in auditor.suggestion("pharmacy", "es")
    findings = auditor.audit_text(
        "Board of Pharmacy — Pharmacist license renewal\n"
        "1. Have you ever been treated for a mental illness?\n"
        "2. Has your pharmacist license ever been suspended?\n"
    )
    assert [f.label for f in findings] == ["intrusive", "other"]
    assert "practice pharmacy" in findings[0].suggestion("en")
    assert findings[1].suggestion("en") is None


def test_safe_haven_footnote_is_not_fine_print_but_a_widening_definition_is():
    acceptable = "Are you currently impaired in your ability to practice by any condition?"
    assert (
        auditor.classify(
            acceptable,
            ["You may answer no if you are in good standing with a physician health program."],
        ).label
        == "acceptable"
    )
    widened = auditor.classify(
        acceptable, ["Condition includes bipolar disorder, depression and substance use."]
    )
    assert widened.label == "intrusive" and "fine_print" in widened.reasons


PAST = [
    "Have you ever",
    "Within the past five years, have you",
    "In the last 10 years, have you",
    "Since medical school, have you",
    "At any time, have you",
    "Have you previously",
]
HISTORY = [
    "been diagnosed with",
    "been treated for",
    "received counseling for",
    "been hospitalized for",
    "taken medication for",
    "sought help for",
    "been evaluated for",
]
TOPIC = [
    "depression",
    "an anxiety disorder",
    "a mental illness",
    "an emotional condition",
    "alcohol or drug use",
    "bipolar disorder",
    "a psychiatric condition",
    "any physical or mental condition",
]
NOW = ["Do you currently have", "Are you presently affected by", "At this time, do you have"]
CAUSE = [
    "any condition",
    "any condition, physical or mental,",
    "any medical condition",
    "a condition of any cause",
]
EFFECT = [
    "that impairs your ability to practice {p} safely",
    "that currently impairs your judgment or ability to practice {p}",
    "that adversely affects your ability to practice {p} competently",
]
PROF = ["medicine", "nursing", "pharmacy", "psychology", "social work"]


@given(st.sampled_from(PAST), st.sampled_from(HISTORY), st.sampled_from(TOPIC), st.booleans())
def test_paraphrases_of_history_questions_are_intrusive(past, history, topic, upper):
    question = f"{past} {history} {topic}?"
    question = question.upper() if upper else question
    assert auditor.classify(question).label == "intrusive", question


@given(st.sampled_from(NOW), st.sampled_from(CAUSE), st.sampled_from(EFFECT), st.sampled_from(PROF))
def test_paraphrases_of_current_impairment_questions_are_acceptable(now, cause, effect, prof):
    question = f"{now} {cause} {effect.format(p=prof)}?"
    assert auditor.classify(question).label == "acceptable", question
    # ...and the same question turned toward the past, the future or a diagnosis is not.
    assert auditor.classify(question.replace(now, "Have you ever had")).label == "intrusive"
    assert (
        auditor.classify(
            question.replace("impairs", "could impair").replace("affects", "may affect")
        ).label
        == "intrusive"
    )


@given(st.text(max_size=400))
def test_classify_and_segment_never_crash(text):
    auditor.classify(text)
    auditor.audit_text(text)


@pytest.mark.parametrize(
    "question",
    [
        # Reformed wordings that name a diagnosis or treatment but stop at a current impairment.
        "Are you currently diagnosed with, or being treated for, any condition that currently impairs "
        "your ability to practice nursing safely?",
        "Are you being treated for any physical or mental condition, including a substance use "
        "disorder, that presently impairs your judgment or ability to practice?",
        "Do you have any condition that is not being appropriately treated which is likely to impair "
        "your ability to practice pharmacy with reasonable skill and safety?",
    ],
)
def test_reformed_questions_limited_to_current_impairment_are_acceptable(question):
    assert auditor.classify(question).label == "acceptable", auditor.classify(question)


@pytest.mark.parametrize(
    "question",
    [
        # The same words, no longer limited: a join, a window in the past, a prediction.
        "Are you currently being treated for any condition, or does any condition currently impair "
        "your ability to practice nursing?",
        "In the past two years, have you been treated for any condition that impaired your ability "
        "to practice nursing?",
        "Are you being treated for any condition that may impair your ability to practice in the future?",
        "Are you currently receiving counseling or taking medication of any kind?",
    ],
)
def test_treatment_questions_not_limited_to_current_impairment_are_intrusive(question):
    assert auditor.classify(question).label == "intrusive"


@given(
    st.sampled_from(["Are you currently", "Are you now", "Are you at present"]),
    st.sampled_from(["receiving treatment for", "being treated for", "in treatment for"]),
    st.sampled_from(["alcohol use", "a substance use disorder", "drug dependence"]),
)
def test_reasons_follow_the_tense_of_the_question(now, treated, topic):
    present = auditor.classify(f"{now} {treated} {topic}?")
    assert present.label == "intrusive"
    assert "asks_past" not in present.reasons
    assert "substance_use_history" not in present.reasons
    assert "substance_use_current" in present.reasons
    past = auditor.classify(f"Have you ever been treated for {topic}?")
    assert {"asks_past", "substance_use_history"} <= set(past.reasons)
    assert "substance_use_current" not in past.reasons


def test_questions_without_a_question_mark_are_found_and_instructions_are_skipped():
    form = (
        "Section 5. Health\n"
        "Please answer each question. Please indicate yes or no for each item below.\n"
        "1. Please disclose all medications you currently take for anxiety, depression or sleep.\n"
        "2. Have you ever been treated for a mental illness?   Yes / No\n"
        "If yes, please explain.\n"
        "3. List all hospitals where you have held clinical privileges.\n"
        "4. Explain any history of alcohol or drug dependence.\n"
        "5. Describe any counseling you have received for stress\n"
        "Print or type. Sign and date the application.\n"
    )
    findings = auditor.audit_text(form)
    texts = [f.text for f in findings]
    assert texts == [
        "Please disclose all medications you currently take for anxiety, depression or sleep.",
        "Have you ever been treated for a mental illness? If yes, please explain.",
        "List all hospitals where you have held clinical privileges.",
        "Explain any history of alcohol or drug dependence.",
        "Describe any counseling you have received for stress",
    ]
    assert [f.label for f in findings] == [
        "intrusive",
        "intrusive",
        "other",
        "intrusive",
        "intrusive",
    ]
    assert "asks_past" in findings[4].reasons  # "you have received" is the past, whatever the form
