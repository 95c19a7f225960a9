"""The toolkit and composer data files: valid, both languages, errors name the file and line."""

from __future__ import annotations

import pytest

from respite.community import toolkit
from respite.core.datafiles import DataFileError, load_yaml


def test_both_languages_everywhere():
    for lang in ("en", "es"):
        g = toolkit.discussion_guide("mixed", "virtual", lang)
        assert [s["id"] for s in g["sections"]] == ["check-in", "reflect", "care"]
        assert all(q["text"] for s in g["sections"] for q in s["questions"])
        assert len(toolkit.notes(lang)["prompts"]) == 3
        assert [t["amount"] for t in toolkit.fundraising(lang)["tiers"]] == [22, 220, 2200]


def test_guide_questions_follow_the_audience():
    def ids(aud):
        return {q["id"] for s in toolkit.discussion_guide(aud)["sections"] for q in s["questions"]}

    assert "re-3" in ids("workers") and "re-4" not in ids("workers")
    assert "re-4" in ids("others") and "re-3" not in ids("others")
    assert {"re-3", "re-4", "ca-3", "ca-4"} <= ids("mixed")
    assert "balance" not in {t["id"] for t in toolkit.discussion_guide("workers")["tips"]}


def test_broken_file_reports_file_and_line(tmp_path):
    text = (toolkit.DATA / "toolkit.yaml").read_text().replace("amount: 220\n", "amount: lots\n")
    bad = tmp_path / "toolkit.yaml"
    bad.write_text(text)
    with pytest.raises(DataFileError) as err:
        load_yaml(bad, toolkit.TOOLKIT_SCHEMA)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "amount: lots" in row)
    assert err.value.line == line and "toolkit.yaml" in str(err.value)


def test_missing_translation_is_refused(tmp_path):
    text = (
        (toolkit.DATA / "social.yaml")
        .read_text()
        .replace('label: {en: "burnout", es: "agotamiento"}', 'label: {en: "burnout"}')
    )
    bad = tmp_path / "social.yaml"
    bad.write_text(text)
    with pytest.raises(DataFileError, match="'es' is a required property"):
        load_yaml(bad, toolkit.SOCIAL_SCHEMA)
