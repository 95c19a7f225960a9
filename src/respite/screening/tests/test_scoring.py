"""Scoring of every instrument: every band boundary, totals and ranges, skip logic and crisis flags."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from respite.core.datafiles import DataFileError
from respite.screening import instruments
from respite.screening.instruments import AnswerError, load_instrument, registry

REG = registry()
SUM_SCALES = [
    (inst, scale) for inst in REG.values() for scale in inst.scales if scale.method != "rules"
]


def _open_gates(inst, scale) -> dict[str, int]:
    """Answers to gate items so that every item of the scale is asked."""
    answers = {}
    for item_id in scale.items:
        item = inst.item(item_id)
        while item.show_if:
            gate, value = item.show_if
            answers[gate] = value
            item = inst.item(gate)
    return answers


def _contribution(inst, scale, item_id, value) -> int:
    item = inst.item(item_id)
    if scale.method == "count":
        return int(value >= scale.at_least)
    if item_id in scale.reverse:
        return min(item.values) + max(item.values) - value
    return value


def answers_for_total(inst, scale, target: int) -> dict[str, int]:
    """Build a complete, valid answer set whose scale total is exactly ``target`` (greedy)."""
    answers = {item.id: min(item.values) for item in inst.items if item.show_if is None}
    answers.update(_open_gates(inst, scale))
    # start each scale item at the value that contributes least
    for item_id in scale.items:
        values = sorted(inst.item(item_id).values)
        answers[item_id] = min(values, key=lambda v: _contribution(inst, scale, item_id, v))
    total = sum(_contribution(inst, scale, i, answers[i]) for i in scale.items)
    for item_id in scale.items:
        gap = target - total
        if gap <= 0:
            break
        current = _contribution(inst, scale, item_id, answers[item_id])
        steps = [
            v
            for v in inst.item(item_id).values
            if 0 < _contribution(inst, scale, item_id, v) - current <= gap
        ]
        if steps:
            best = max(steps, key=lambda v: _contribution(inst, scale, item_id, v))
            total += _contribution(inst, scale, item_id, best) - current
            answers[item_id] = best
    assert total == target, (inst.id, scale.id, target, total)
    return answers


def test_all_published_instruments_are_shipped():
    assert {"phq9", "phq2", "gad7", "gad2", "pcptsd5", "cssrs", "burnout", "proqol5", "hvs"} <= set(
        REG
    )
    for inst in REG.values():
        for item in inst.items:
            assert item.text["en"] and item.text["es"] and item.text["en"] != item.text["es"]


@pytest.mark.parametrize(
    ("inst", "scale"), SUM_SCALES, ids=[f"{i.id}-{s.id}" for i, s in SUM_SCALES]
)
def test_every_band_boundary(inst, scale):
    for band in scale.bands:
        for edge in {band.min, band.max}:
            result = inst.score(answers_for_total(inst, scale, edge))
            got = next(s for s in result.scales if s.scale.id == scale.id)
            assert got.score == edge
            assert got.band.id == band.id, f"{inst.id} {scale.id}={edge} should be {band.id}"


@pytest.mark.parametrize(
    ("instrument", "cuts"),
    [
        (
            "phq9",
            {
                4: "minimal",
                5: "mild",
                9: "mild",
                10: "moderate",
                14: "moderate",
                15: "moderately_severe",
                19: "moderately_severe",
                20: "severe",
                27: "severe",
            },
        ),
        (
            "gad7",
            {4: "minimal", 5: "mild", 10: "moderate", 14: "moderate", 15: "severe", 21: "severe"},
        ),
        ("phq2", {2: False, 3: True}),
        ("gad2", {2: False, 3: True}),
        ("pcptsd5", {2: False, 3: True}),
    ],
)
def test_published_cutoffs(instrument, cuts):
    inst = REG[instrument]
    scale = inst.scales[0]
    for total, expected in cuts.items():
        headline = inst.score(answers_for_total(inst, scale, total)).headline
        if isinstance(expected, bool):
            assert headline.band.positive is expected, (instrument, total)
        else:
            assert headline.band.id.replace("-", "_") == expected, (
                instrument,
                total,
                headline.band.id,
            )


def test_positive_short_screens_follow_up_with_full_instrument():
    assert REG["phq2"].score({"1": 2, "2": 1}).follow_up == "phq9"
    assert REG["gad2"].score({"1": 3, "2": 0}).follow_up == "gad7"
    assert REG["phq2"].score({"1": 1, "2": 1}).follow_up is None


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_totals_equal_sum_of_item_contributions_and_stay_in_range(data):
    inst, scale = data.draw(st.sampled_from(SUM_SCALES))
    answers = _open_gates(inst, scale)
    for item in inst.items:
        if item.id not in answers and inst.is_shown(item, answers):
            answers[item.id] = data.draw(st.sampled_from(sorted(item.values)))
    result = inst.score(answers)
    got = next(s for s in result.scales if s.scale.id == scale.id)
    expected = sum(
        _contribution(inst, scale, i, answers[i]) for i in scale.items if i in result.answers
    )
    lo, hi = inst.score_range(scale)
    assert got.score == expected
    assert lo <= got.score <= hi
    assert got.band.min <= got.score <= got.band.max


def test_proqol_burnout_reverses_its_five_items():
    inst = REG["proqol5"]
    answers = {item.id: 1 for item in inst.items}
    burnout = next(s for s in inst.score(answers).scales if s.scale.id == "burnout")
    # items 1, 4, 15, 17, 29 answered "never" (1) score 5 when reversed; the other five score 1
    assert burnout.score == 5 * 5 + 5 * 1


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_item9_always_shows_crisis_regardless_of_total(values):
    result = REG["phq9"].score_list(values)
    assert result.crisis is (values[8] > 0)
    if values[8] > 0:
        assert result.tier == "crisis"


class TestCSSRS:
    inst = REG["cssrs"]

    def test_no_to_question_2_skips_to_question_6(self):
        result = self.inst.score({"1": 0, "2": 0, "6": 0})
        assert set(result.answers) == {"1", "2", "6"}
        assert result.headline.band.id == "none"
        assert not result.crisis

    def test_questions_3_to_5_are_required_after_yes_to_2(self):
        with pytest.raises(AnswerError) as err:
            self.inst.score({"1": 1, "2": 1, "6": 0})
        assert err.value.item == "3"

    def test_answers_to_skipped_questions_are_ignored(self):
        result = self.inst.score({"1": 0, "2": 0, "3": 1, "4": 1, "5": 1, "6": 0})
        assert result.headline.band.id == "none"

    @pytest.mark.parametrize(
        ("answers", "band"),
        [
            ({"1": 1, "2": 0, "6": 0}, "low"),
            ({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}, "low"),
            ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}, "moderate"),
            ({"1": 0, "2": 0, "6": 1, "6b": 0}, "moderate"),
            ({"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}, "high"),
            ({"1": 1, "2": 1, "3": 0, "4": 0, "5": 1, "6": 0}, "high"),
            ({"1": 0, "2": 0, "6": 1, "6b": 1}, "high"),
        ],
    )
    def test_risk_levels_and_crisis_first(self, answers, band):
        result = self.inst.score(answers)
        assert result.headline.band.id == band
        assert result.crisis and result.tier == "crisis"

    def test_behaviour_question_asks_when_only_after_yes(self):
        with pytest.raises(AnswerError) as err:
            self.inst.score({"1": 0, "2": 0, "6": 1})
        assert err.value.item == "6b"


class TestPCPTSD5:
    inst = REG["pcptsd5"]

    def test_no_exposure_scores_zero_without_symptom_questions(self):
        result = self.inst.score({"exposure": 0})
        assert result.headline.score == 0 and not result.headline.band.positive

    def test_exposure_gate_opens_symptom_questions(self):
        with pytest.raises(AnswerError) as err:
            self.inst.score({"exposure": 1})
        assert err.value.item == "1"
        result = self.inst.score({"exposure": 1, "1": 1, "2": 1, "3": 1, "4": 0, "5": 0})
        assert result.headline.score == 3 and result.headline.band.positive


def test_hunger_vital_sign_positive_when_either_item_often_or_sometimes():
    inst = REG["hvs"]
    assert not inst.score({"1": 0, "2": 0}).headline.band.positive
    assert inst.score({"1": 1, "2": 0}).headline.band.positive
    assert inst.score({"1": 0, "2": 2}).headline.band.positive


def test_burnout_item_level_three_and_above_is_burnout():
    inst = REG["burnout"]
    assert [inst.score({inst.items[0].id: v}).headline.band.positive for v in (1, 2, 3, 4, 5)] == [
        False,
        False,
        True,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("answers", "item", "fragment"),
    [
        ({"1": 0}, "2", "required"),
        ({"1": 0, "2": 4}, "2", "not an allowed answer"),
        ({"1": 0, "2": "x"}, "2", "not a number"),
        ({"1": 0, "2": 1, "99": 1}, "99", "no item"),
    ],
)
def test_invalid_answers_name_the_item(answers, item, fragment):
    with pytest.raises(AnswerError) as err:
        REG["phq2"].score(answers)
    assert err.value.item == item and fragment in err.value.message


def test_malformed_instrument_file_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    source = (
        (instruments.INSTRUMENT_DIR / "phq2.yaml").read_text().replace("id: phq2", "id: broken", 1)
    )
    lines = source.splitlines()
    target = next(n for n, line in enumerate(lines) if line.strip().startswith("max:"))
    lines[target] = lines[target].split("max:")[0] + "max: 1"  # leaves a gap in the bands
    bad.write_text("\n".join(lines))
    with pytest.raises(DataFileError) as err:
        load_instrument(bad)
    assert (
        "broken.yaml" in str(err.value)
        and "line" in str(err.value)
        and "contiguous" in str(err.value)
    )

    bad.write_text(source.replace("options:", "optoins:", 1))
    with pytest.raises(DataFileError) as err:
        load_instrument(bad)
    assert f"line {err.value.line}" in str(err.value) and err.value.line > 1


def test_score_command_prints_json(capsys):
    call_command("score", "phq9", "--answers", "3,3,3,3,3,3,2,0,1")
    out = json.loads(capsys.readouterr().out)
    assert out["score"] == 21 and out["band"] == "severe" and out["crisis"] is True
    assert "crisis_item:9" in out["flags"]
    call_command("score", "cssrs", "--answers", "1,0,-,-,-,0")
    assert json.loads(capsys.readouterr().out)["band"] == "low"
