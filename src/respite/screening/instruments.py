"""Validated screening instruments, loaded from the YAML files in ``instruments/``.

To add an instrument, copy a similar file, change it, and run ``make test``: the schema and the
semantic checks below reject anything a worker could trip over (gaps in bands, unknown options...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from respite.core.datafiles import (
    BILINGUAL_TEXT,
    OPTION_SETS,
    DataFileError,
    line_of,
    load_named_yaml,
    non_empty_list_of,
    option_sets,
)
from respite.core.text import tr

INSTRUMENT_DIR = Path(__file__).parent / "instruments"
TIERS = ("self_care", "counseling", "urgent", "crisis")
TIER_RANK = {t: i for i, t in enumerate(TIERS)}

_TEXT = BILINGUAL_TEXT
_BAND = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "min": {"type": "integer"},
        "max": {"type": "integer"},
        "label": _TEXT,
        "explanation": _TEXT,
        "tier": {"enum": list(TIERS)},
        "positive": {"type": "boolean"},
        "follow_up": {"type": "string"},
    },
    "required": ["id", "label", "explanation", "tier", "positive"],
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "short_name": {"type": "string"},
        "name": _TEXT,
        "description": _TEXT,
        "instructions": _TEXT,
        "source": {"type": "string", "minLength": 10},
        "minutes": {"type": "integer", "minimum": 1},
        "loinc": {
            "type": "object",
            "properties": {"panel": {"type": "string"}, "total": {"type": "string"}},
            "additionalProperties": False,
        },
        "option_sets": OPTION_SETS,
        "items": non_empty_list_of(
            {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                "text": _TEXT,
                "options": {"type": "string"},
                "loinc": {"type": "string"},
                "crisis_if_at_least": {"type": "integer"},
                "show_if": {
                    "type": "object",
                    "properties": {"item": {"type": "string"}, "equals": {"type": "integer"}},
                    "required": ["item", "equals"],
                    "additionalProperties": False,
                },
            },
            ["id", "text", "options"],
        ),
        "scales": non_empty_list_of(
            {
                "id": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "name": _TEXT,
                "method": {"enum": ["sum", "count", "rules"]},
                "items": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "reverse": {"type": "array", "items": {"type": "string"}},
                "at_least": {"type": "integer"},
                "rules": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "any_of": {
                                "type": "object",
                                "additionalProperties": {"type": "integer"},
                            },
                            "band": {"type": "string"},
                        },
                        "required": ["any_of", "band"],
                        "additionalProperties": False,
                    },
                },
                "default_band": {"type": "string"},
                "bands": {"type": "array", "items": _BAND, "minItems": 1},
            },
            ["id", "name", "method", "items", "bands"],
        ),
    },
    "required": [
        "id",
        "short_name",
        "name",
        "description",
        "instructions",
        "source",
        "option_sets",
        "items",
        "scales",
    ],
    "additionalProperties": False,
}


class AnswerError(ValueError):
    """Answers that cannot be scored. ``item`` names the offending item (None for the whole set)."""

    def __init__(self, item: str | None, message: str):
        self.item, self.message = item, message
        super().__init__(f"item {item}: {message}" if item else message)


@dataclass(frozen=True)
class Option:
    value: int
    label: dict[str, str]


@dataclass(frozen=True)
class Item:
    id: str
    text: dict[str, str]
    options: tuple[Option, ...]
    loinc: str | None = None
    crisis_if_at_least: int | None = None
    show_if: tuple[str, int] | None = None

    @property
    def values(self) -> set[int]:
        return {o.value for o in self.options}

    def option_label(self, value: int, lang: str | None = None) -> str:
        for o in self.options:
            if o.value == value:
                return tr(o.label, lang)
        return str(value)


@dataclass(frozen=True)
class Band:
    id: str
    label: dict[str, str]
    explanation: dict[str, str]
    tier: str
    positive: bool
    min: int | None = None
    max: int | None = None
    follow_up: str | None = None


@dataclass(frozen=True)
class Scale:
    id: str
    name: dict[str, str]
    method: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    reverse: frozenset[str] = frozenset()
    at_least: int = 1
    rules: tuple[tuple[dict[str, int], str], ...] = ()
    default_band: str | None = None

    def band(self, band_id: str) -> Band:
        return next(b for b in self.bands if b.id == band_id)


@dataclass(frozen=True)
class ScaleResult:
    scale: Scale
    score: int | None
    band: Band

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "scale": self.scale.id,
            "name": tr(self.scale.name, lang),
            "score": self.score,
            "band": self.band.id,
            "label": tr(self.band.label, lang),
            "explanation": tr(self.band.explanation, lang),
            "tier": self.band.tier,
            "positive": self.band.positive,
            "follow_up": self.band.follow_up,
        }


@dataclass(frozen=True)
class Result:
    """Scores of one instrument. ``crisis`` means crisis options must be shown before anything else."""

    instrument: Instrument
    answers: dict[str, int]
    scales: tuple[ScaleResult, ...]
    crisis_items: tuple[str, ...]

    @property
    def headline(self) -> ScaleResult:
        return self.scales[0]

    @property
    def crisis(self) -> bool:
        return bool(self.crisis_items) or any(s.band.tier == "crisis" for s in self.scales)

    @property
    def tier(self) -> str:
        tiers = [s.band.tier for s in self.scales]
        if self.crisis:
            tiers.append("crisis")
        return max(tiers, key=TIER_RANK.__getitem__)

    @property
    def follow_up(self) -> str | None:
        return next((s.band.follow_up for s in self.scales if s.band.follow_up), None)

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "instrument": self.instrument.id,
            "short_name": self.instrument.short_name,
            "score": self.headline.score,
            "band": self.headline.band.id,
            "tier": self.tier,
            "crisis": self.crisis,
            "flags": [f"crisis_item:{i}" for i in self.crisis_items],
            "follow_up": self.follow_up,
            "scales": [s.as_dict(lang) for s in self.scales],
        }


@dataclass(frozen=True)
class Instrument:
    id: str
    short_name: str
    name: dict[str, str]
    description: dict[str, str]
    instructions: dict[str, str]
    source: str
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    minutes: int = 2
    loinc: dict[str, str] = field(default_factory=dict)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def is_shown(self, item: Item, answers: dict[str, int]) -> bool:
        """Skip logic: an item with show_if is asked only when the gate item has the given answer."""
        if item.show_if is None:
            return True
        gate, value = item.show_if
        gate_item = self.item(gate)
        return self.is_shown(gate_item, answers) and answers.get(gate) == value

    def validate(self, raw: dict[str, Any]) -> dict[str, int]:
        """Check a set of answers and return the ones that count (skipped items dropped).

        Raises AnswerError naming the first wrong item: unknown item, missing answer, or a value
        that is not one of the item's options.
        """
        known = {i.id for i in self.items}
        for key in raw:
            if str(key) not in known:
                raise AnswerError(str(key), f"{self.short_name} has no item '{key}'")
        answers: dict[str, int] = {}
        for item in self.items:
            value = raw.get(item.id)
            if not self.is_shown(item, answers):
                continue
            if value is None or value == "":
                raise AnswerError(item.id, "an answer is required")
            try:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                number = int(value)
            except (TypeError, ValueError):
                raise AnswerError(item.id, f"'{value}' is not a number") from None
            if number not in item.values:
                allowed = ", ".join(str(v) for v in sorted(item.values))
                raise AnswerError(
                    item.id, f"{number} is not an allowed answer (allowed: {allowed})"
                )
            answers[item.id] = number
        return answers

    def score(self, raw: dict[str, Any]) -> Result:
        answers = self.validate(raw)
        results = []
        for scale in self.scales:
            results.append(self._score_scale(scale, answers))
        crisis = tuple(
            i.id
            for i in self.items
            if i.crisis_if_at_least is not None and answers.get(i.id, -1) >= i.crisis_if_at_least
        )
        return Result(self, answers, tuple(results), crisis)

    def score_list(self, values: list[Any]) -> Result:
        """Score answers given in item order; ``None`` or '-' stands for a skipped item."""
        if len(values) > len(self.items):
            raise AnswerError(
                None, f"{self.short_name} has {len(self.items)} items, got {len(values)} answers"
            )
        raw = {}
        for item, value in zip(self.items, values, strict=False):
            if value is not None and value != "-" and value != "":
                raw[item.id] = value
        return self.score(raw)

    def _score_scale(self, scale: Scale, answers: dict[str, int]) -> ScaleResult:
        if scale.method == "rules":
            for any_of, band_id in scale.rules:
                if any(answers.get(i) == v for i, v in any_of.items()):
                    return ScaleResult(scale, None, scale.band(band_id))
            return ScaleResult(scale, None, scale.band(scale.default_band or scale.bands[-1].id))
        total = 0
        for item_id in scale.items:
            if item_id not in answers:  # skipped by design (e.g. PC-PTSD-5 with no exposure)
                continue
            value = answers[item_id]
            if scale.method == "count":
                total += int(value >= scale.at_least)
                continue
            if item_id in scale.reverse:
                values = self.item(item_id).values
                value = min(values) + max(values) - value
            total += value
        # Every band has min and max: the loader refuses a scale whose bands do not.
        band = next(b for b in scale.bands if (b.min or 0) <= total <= (b.max or 0))
        return ScaleResult(scale, total, band)

    def score_range(self, scale: Scale) -> tuple[int, int]:
        if scale.method == "count":
            return 0, len(scale.items)
        lo = hi = 0
        for item_id in scale.items:
            item = self.item(item_id)
            # an item that can be skipped contributes 0 at the least
            lo += 0 if item.show_if else min(item.values)
            hi += max(item.values)
        return lo, hi


def _text(d: dict) -> dict[str, str]:
    return {"en": d["en"], "es": d["es"]}


def load_instrument(path: Path) -> Instrument:
    data, index = load_named_yaml(path, SCHEMA)
    sets = {
        name: tuple(Option(value, label) for value, label in opts)
        for name, opts in option_sets(data, path, index).items()
    }
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["items"]):
        line = line_of(index, "items", n)
        if raw["id"] in seen:
            raise DataFileError(path, line, f"item id '{raw['id']}' is repeated")
        if raw["options"] not in sets:
            raise DataFileError(
                path, line, f"item '{raw['id']}' uses unknown option set '{raw['options']}'"
            )
        show_if = None
        if "show_if" in raw:
            if raw["show_if"]["item"] not in seen:
                raise DataFileError(
                    path,
                    line,
                    f"item '{raw['id']}' depends on '{raw['show_if']['item']}', which must come before it",
                )
            show_if = (raw["show_if"]["item"], raw["show_if"]["equals"])
        seen.add(raw["id"])
        items.append(
            Item(
                raw["id"],
                _text(raw["text"]),
                sets[raw["options"]],
                raw.get("loinc"),
                raw.get("crisis_if_at_least"),
                show_if,
            )
        )
    scales = []
    for n, raw in enumerate(data["scales"]):
        line = line_of(index, "scales", n)
        for item_id in [*raw["items"], *raw.get("reverse", [])]:
            if item_id not in seen:
                raise DataFileError(
                    path, line, f"scale '{raw['id']}' names unknown item '{item_id}'"
                )
        bands = tuple(
            Band(
                b["id"],
                _text(b["label"]),
                _text(b["explanation"]),
                b["tier"],
                b["positive"],
                b.get("min"),
                b.get("max"),
                b.get("follow_up"),
            )
            for b in raw["bands"]
        )
        rules = tuple((dict(r["any_of"]), r["band"]) for r in raw.get("rules", []))
        scale = Scale(
            raw["id"],
            _text(raw["name"]),
            raw["method"],
            tuple(raw["items"]),
            bands,
            frozenset(raw.get("reverse", [])),
            raw.get("at_least", 1),
            rules,
            raw.get("default_band"),
        )
        band_ids = {b.id for b in bands}
        if scale.method == "rules":
            for _any, band_id in rules:
                if band_id not in band_ids:
                    raise DataFileError(path, line, f"rule names unknown band '{band_id}'")
            if scale.default_band and scale.default_band not in band_ids:
                raise DataFileError(
                    path, line, f"default_band '{scale.default_band}' is not a band"
                )
        scales.append(scale)
    instrument = Instrument(
        data["id"],
        data["short_name"],
        _text(data["name"]),
        _text(data["description"]),
        _text(data["instructions"]),
        data["source"],
        tuple(items),
        tuple(scales),
        data.get("minutes", 2),
        dict(data.get("loinc", {})),
    )
    for n, scale in enumerate(instrument.scales):
        if scale.method == "rules":
            continue
        lo, hi = instrument.score_range(scale)
        if any(b.min is None or b.max is None for b in scale.bands):
            raise DataFileError(
                path, line_of(index, "scales", n), f"every band of '{scale.id}' needs min and max"
            )
        ranges = sorted((b.min or 0, b.max or 0) for b in scale.bands)
        expected = lo
        for b_min, b_max in ranges:
            if b_min != expected or b_max < b_min:
                raise DataFileError(
                    path,
                    line_of(index, "scales", n, "bands"),
                    f"bands of '{scale.id}' must be contiguous from {lo}; gap or overlap at {b_min}",
                )
            expected = b_max + 1
        if expected - 1 != hi:
            raise DataFileError(
                path,
                line_of(index, "scales", n, "bands"),
                f"bands of '{scale.id}' end at {expected - 1} but the score can reach {hi}",
            )
    return instrument


@lru_cache(maxsize=1)
def registry() -> dict[str, Instrument]:
    """Every instrument by id. Loaded once per process; follow-up targets are checked here."""
    instruments = {p.stem: load_instrument(p) for p in sorted(INSTRUMENT_DIR.glob("*.yaml"))}
    for inst in instruments.values():
        for scale in inst.scales:
            for band in scale.bands:
                if band.follow_up and band.follow_up not in instruments:
                    raise DataFileError(
                        INSTRUMENT_DIR / f"{inst.id}.yaml",
                        None,
                        f"band '{band.id}' follows up with unknown instrument '{band.follow_up}'",
                    )
    return instruments


def get(instrument_id: str) -> Instrument:
    try:
        return registry()[instrument_id]
    except KeyError:
        raise AnswerError(None, f"unknown instrument '{instrument_id}'") from None
