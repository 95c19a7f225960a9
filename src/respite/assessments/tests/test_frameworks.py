"""The framework files: what they must carry, and how a broken file is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from respite.assessments import frameworks
from respite.assessments.models import Scorecard
from respite.core.datafiles import DataFileError

GOOD = """\
id: {id}
short_name: Test
name: {{en: Test framework, es: Marco de prueba}}
description: {{en: A test., es: Una prueba.}}
source: "Written for the test suite"
scale:
  - value: 0
    label: {{en: Not in place, es: No existe}}
  - value: {top}
    label: {{en: In place, es: Existe}}
areas:
  - id: leadership
    name: {{en: Leadership, es: Liderazgo}}
    summary: {{en: Leaders are engaged., es: Los líderes participan.}}
    goals:
      - id: engaged
        text: {{en: Engaged, es: Comprometidos}}
    criteria:
      - id: lead_one
        goal: {goal}
        text: {{en: One, es: Uno}}
        evidence: {{en: Minutes, es: Actas}}
      - id: {second}
        text: {{en: Two, es: Dos}}
        evidence: {{en: Minutes, es: Actas}}
"""


def write(tmp_path: Path, name: str = "sample", **overrides) -> Path:
    values = {"id": name, "top": 3, "goal": "engaged", "second": "lead_two", **overrides}
    path = tmp_path / f"{name}.yaml"
    path.write_text(GOOD.format(**values), encoding="utf-8")
    return path


def test_the_four_seed_frameworks_ship_with_their_areas():
    reg = frameworks.registry()
    assert [a.id for a in reg["all_in"].areas] == [
        "access",
        "php",
        "privacy",
        "peer_support",
        "education",
        "reentry",
    ]
    assert len(reg["ihi_heal"].areas) == 5
    assert [a.id for a in reg["sts_pillars"].areas] == [
        "leadership",
        "workload",
        "workspace",
        "supervision",
        "peer_support",
        "individualization",
    ]
    national = reg["national_plan"]
    assert len(national.areas) == 7
    assert len(national.area("environment").goals) == 5
    assert any(
        c.id == "change_maker" and c.area_id == "institutionalize" for c in national.commitments
    )


def test_every_text_has_english_and_spanish_and_every_criterion_has_evidence():
    for spec in frameworks.registry().values():
        for area in spec.areas:
            assert area.criteria and area.goals, (spec.id, area.id)
            for c in area.criteria:
                assert c.text["es"] != c.text["en"] and c.evidence["es"], (spec.id, c.id)


def test_a_good_file_loads(tmp_path):
    spec = frameworks.load(write(tmp_path))
    assert spec.max_value == 3
    assert spec.area("leadership").goal("engaged").text["es"] == "Comprometidos"


def test_schema_error_names_file_and_line(tmp_path):
    path = write(tmp_path)
    path.write_text(path.read_text().replace("        evidence: {en: Minutes, es: Actas}\n", "", 1))
    with pytest.raises(DataFileError) as err:
        frameworks.load(path)
    assert err.value.path == str(path)
    assert err.value.line == 19  # the criterion missing its evidence note
    assert "sample.yaml, line 19" in str(err.value) and "evidence" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path)
    lines = path.read_text().splitlines()
    lines[11] = "  - id: [unclosed"
    path.write_text("\n".join(lines))
    with pytest.raises(DataFileError) as err:
        frameworks.load(path)
    assert err.value.line is not None and 12 <= err.value.line <= 14
    assert "not valid YAML" in str(err.value)


@pytest.mark.parametrize(
    ("overrides", "line", "message"),
    [
        ({"second": "lead_one"}, 23, "duplicate criterion id 'lead_one'"),
        ({"goal": "nowhere"}, 20, "unknown goal 'nowhere'"),
        ({"top": 0}, 9, "unique and increasing"),
        ({"id": "other"}, 1, "must match the file name"),
    ],
)
def test_semantic_errors_name_the_line(tmp_path, overrides, line, message):
    with pytest.raises(DataFileError) as err:
        frameworks.load(write(tmp_path, **overrides))
    assert err.value.line == line
    assert message in err.value.message


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=19))
def test_scores_are_percentages_and_gaps_come_weakest_first(values):
    spec = frameworks.get("all_in")

    class A:
        def __init__(self, v):
            self.value = v

    answers = {c.id: A(v) for c, v in zip(spec.criteria, values, strict=False)}
    card = Scorecard.build(spec, answers, "en")
    for area in card.areas:
        assert area.percent is None or 0 <= area.percent <= 100
        assert (area.percent is None) == (area.answered == 0)
    gaps = [g.percent for g in card.gaps()]
    assert gaps == sorted(gaps) and all(p < 100 for p in gaps)
    if values:
        assert card.overall == round(100 * sum(values) / (3 * len(values)))
