"""The pulse item library: screening instruments fit for an employer survey, the work-environment
items in ``items/*.yaml`` and an organization's own Likert items.

Every figure a dashboard shows is a *measure* (an item mean, a scale mean or the rate of a positive
band). Measures have stable keys (``burnout_rate``, ``item:<instrument>:<item>``, ...) because the
assessments app stores them to evaluate programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from respite.core.datafiles import (
    BILINGUAL_TEXT,
    OPTION_SETS,
    DataFileError,
    line_of,
    load_named_yaml,
    non_empty_list_of,
    option_sets,
)
from respite.screening import instruments as screening

ITEMS_DIR = Path(__file__).parent / "items"
# Only instruments without crisis items or skip logic: an employer survey is no place to ask about
# suicide, and an aggregate of a skipped item would have a different n from the rest of the survey.
SURVEY_INSTRUMENTS = ("burnout", "proqol5", "hvs")
RESPONDENTS = "respondents"
BURNOUT_RATE = "burnout_rate"

_TEXT = BILINGUAL_TEXT
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "short_name": {"type": "string", "minLength": 1},
        "name": _TEXT,
        "source": {"type": "string", "minLength": 10},
        "option_sets": OPTION_SETS,
        "items": non_empty_list_of(
            {
                "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "group": {"enum": ["workload", "work_environment", "social_needs", "other"]},
                "higher_is_better": {"type": "boolean"},
                "options": {"type": "string"},
                "text": _TEXT,
            },
            ["id", "group", "higher_is_better", "text"],
        ),
    },
    "required": ["id", "short_name", "name", "source", "option_sets", "items"],
    "additionalProperties": False,
}

AGREE5 = (
    (1, {"en": "Strongly disagree", "es": "Muy en desacuerdo"}),
    (2, {"en": "Disagree", "es": "En desacuerdo"}),
    (3, {"en": "Neither agree nor disagree", "es": "Ni de acuerdo ni en desacuerdo"}),
    (4, {"en": "Agree", "es": "De acuerdo"}),
    (5, {"en": "Strongly agree", "es": "Muy de acuerdo"}),
)


@dataclass(frozen=True)
class PulseItem:
    """One question as asked in a pulse survey. ``source`` is an instrument id, an item-set id or
    ``custom``."""

    source: str
    item_id: str
    text: dict[str, str]
    options: tuple[tuple[int, dict[str, str]], ...]
    higher_is_better: bool | None = None

    @property
    def key(self) -> str:
        return f"item:{self.source}:{self.item_id}"

    @property
    def field_name(self) -> str:
        return f"{self.source}__{self.item_id}"

    @property
    def values(self) -> set[int]:
        return {v for v, _label in self.options}


@dataclass(frozen=True)
class ItemSet:
    id: str
    short_name: str
    name: dict[str, str]
    source: str
    items: tuple[PulseItem, ...]


@dataclass(frozen=True)
class Measure:
    """A figure that can be aggregated: ``kind`` is ``mean`` (n, sum, sum of squares) or ``rate``
    (the share of respondents in a positive band; the rollup sums 0/1)."""

    key: str
    label: str
    kind: str
    higher_is_better: bool | None = None
    low: float | None = None
    high: float | None = None


def load_item_set(path: Path) -> ItemSet:
    data, index = load_named_yaml(path, SCHEMA)
    if data["id"] in SURVEY_INSTRUMENTS or data["id"] == "custom":
        raise DataFileError(
            path, line_of(index, "id"), f"id '{data['id']}' is taken by an instrument"
        )
    sets = option_sets(data, path, index)
    items, seen = [], set()
    for n, raw in enumerate(data["items"]):
        opts = raw.get("options", next(iter(sets)))
        if raw["id"] in seen:
            raise DataFileError(
                path, line_of(index, "items", n), f"item id '{raw['id']}' is repeated"
            )
        if opts not in sets:
            raise DataFileError(path, line_of(index, "items", n), f"unknown option set '{opts}'")
        seen.add(raw["id"])
        items.append(
            PulseItem(data["id"], raw["id"], dict(raw["text"]), sets[opts], raw["higher_is_better"])
        )
    return ItemSet(data["id"], data["short_name"], dict(data["name"]), data["source"], tuple(items))


@lru_cache(maxsize=1)
def item_sets() -> dict[str, ItemSet]:
    """Every item set in items/*.yaml, validated at start-up."""
    return {p.stem: load_item_set(p) for p in sorted(ITEMS_DIR.glob("*.yaml"))}


def survey_instruments() -> dict[str, screening.Instrument]:
    reg = screening.registry()
    return {i: reg[i] for i in SURVEY_INSTRUMENTS if i in reg}


def instrument_items(inst: screening.Instrument) -> tuple[PulseItem, ...]:
    return tuple(
        PulseItem(inst.id, it.id, it.text, tuple((o.value, o.label) for o in it.options))
        for it in inst.items
    )


def custom_item(pk: int, text_en: str, text_es: str) -> PulseItem:
    return PulseItem("custom", str(pk), {"en": text_en, "es": text_es or text_en}, AGREE5, True)


def instrument_measures(inst: screening.Instrument) -> list[Measure]:
    out = []
    for scale in inst.scales:
        if any(b.positive for b in scale.bands):
            key = BURNOUT_RATE if inst.id == "burnout" else f"rate:{inst.id}:{scale.id}"
            label = (
                _("Burnout rate")
                if key == BURNOUT_RATE
                else _("%(instrument)s: share with %(scale)s flagged")
                % {"instrument": inst.short_name, "scale": screening.tr(scale.name)}
            )
            out.append(Measure(key, label, "rate", higher_is_better=False, low=0, high=1))
        if scale.method == "sum" and len(scale.items) > 1:
            lo, hi = inst.score_range(scale)
            out.append(
                Measure(
                    f"scale:{inst.id}:{scale.id}",
                    _("%(instrument)s: %(scale)s (mean score)")
                    % {"instrument": inst.short_name, "scale": screening.tr(scale.name)},
                    "mean",
                    low=lo,
                    high=hi,
                )
            )
    return out


def item_measure(item: PulseItem, prefix: str) -> Measure:
    values = item.values
    text = screening.tr(item.text)
    text = text if len(text) <= 70 else text[:67] + "…"
    return Measure(
        item.key, f"{prefix}: {text}", "mean", item.higher_is_better, min(values), max(values)
    )


def instrument_values(
    inst: screening.Instrument, answers: dict[str, int | None]
) -> dict[str, float]:
    """The measure values one respondent contributes for an instrument (scores, 0/1 flags, items)."""
    result = inst.score(answers)
    out: dict[str, float] = {}
    for sr in result.scales:
        scale = sr.scale
        if any(b.positive for b in scale.bands):
            key = BURNOUT_RATE if inst.id == "burnout" else f"rate:{inst.id}:{scale.id}"
            out[key] = 1.0 if sr.band.positive else 0.0
        if scale.method == "sum" and len(scale.items) > 1 and sr.score is not None:
            out[f"scale:{inst.id}:{scale.id}"] = float(sr.score)
    for item_id, value in result.answers.items():
        out[f"item:{inst.id}:{item_id}"] = float(value)
    return out
