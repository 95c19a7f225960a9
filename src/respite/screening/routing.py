"""Routing by need: instrument x band x flag -> needs -> directory services and the organization's own people.

The table is ``routing.yaml``; it is validated against the instrument registry when first used (at
start-up, from ``ScreeningConfig.ready``), so a new instrument or band without a route stops the server
instead of silently sending a worker nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.module_loading import import_string

from respite.core.apphooks import installed_hooks
from respite.core.datafiles import BILINGUAL_TEXT, DataFileError, line_of, load_yaml
from respite.core.text import tr
from respite.screening import instruments

ROUTING_FILE = Path(__file__).parent / "routing.yaml"
OWN_KINDS = ("counselor", "volunteer_therapists", "peer_support")
_NEED_LIST = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[a-z_]+$"},
    "uniqueItems": True,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "needs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "label": BILINGUAL_TEXT,
                    "directory": {"type": "string", "minLength": 2},
                    "own": {
                        "type": "array",
                        "items": {"enum": list(OWN_KINDS)},
                        "uniqueItems": True,
                    },
                },
                "required": ["label", "directory", "own"],
                "additionalProperties": False,
            },
        },
        "instruments": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "scales": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": _NEED_LIST,
                        },
                    },
                    "flags": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "item": {"type": "string"},
                                "at_least": {"type": "integer"},
                                "needs": {**_NEED_LIST, "minItems": 1},
                            },
                            "required": ["item", "at_least", "needs"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["scales"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["needs", "instruments"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Need:
    id: str
    label: dict[str, str]
    directory: str
    own: tuple[str, ...]
    rank: int


@dataclass(frozen=True)
class Table:
    needs: dict[str, Need]
    bands: dict[tuple[str, str, str], tuple[str, ...]]  # (instrument, scale, band) -> needs
    flags: dict[
        str, tuple[tuple[str, int, tuple[str, ...]], ...]
    ]  # instrument -> (item, at_least, needs)


def load_table(path: Path = ROUTING_FILE) -> Table:
    data, index = load_yaml(path, SCHEMA)
    needs = {
        nid: Need(nid, n["label"], n["directory"], tuple(n["own"]), rank)
        for rank, (nid, n) in enumerate(data["needs"].items())
    }
    registry = instruments.registry()
    routes = data["instruments"]
    for inst_id in registry:
        if inst_id not in routes:
            raise DataFileError(
                path, line_of(index, "instruments"), f"instrument '{inst_id}' has no route"
            )
    bands: dict[tuple[str, str, str], tuple[str, ...]] = {}
    flags: dict[str, tuple[tuple[str, int, tuple[str, ...]], ...]] = {}
    for inst_id, route in routes.items():
        where = line_of(index, "instruments", inst_id)
        inst = registry.get(inst_id)
        if inst is None:
            raise DataFileError(path, where, f"'{inst_id}' is not an instrument")
        for scale in inst.scales:
            listed = route["scales"].get(scale.id)
            if listed is None:
                raise DataFileError(path, where, f"scale '{inst_id}.{scale.id}' has no route")
            for band in scale.bands:
                if band.id not in listed:
                    raise DataFileError(
                        path, where, f"band '{inst_id}.{scale.id}.{band.id}' has no route"
                    )
                if band.tier == "crisis" and "crisis" not in listed[band.id]:
                    raise DataFileError(
                        path,
                        where,
                        f"crisis band '{inst_id}.{scale.id}.{band.id}' must route to 'crisis'",
                    )
                bands[(inst_id, scale.id, band.id)] = tuple(listed[band.id])
            for extra in set(listed) - {b.id for b in scale.bands}:
                raise DataFileError(path, where, f"'{inst_id}.{scale.id}' has no band '{extra}'")
        for extra in set(route["scales"]) - {s.id for s in inst.scales}:
            raise DataFileError(path, where, f"'{inst_id}' has no scale '{extra}'")
        item_flags = []
        for flag in route.get("flags", []):
            try:
                item = inst.item(flag["item"])
            except KeyError:
                raise DataFileError(
                    path, where, f"'{inst_id}' has no item '{flag['item']}'"
                ) from None
            if flag["at_least"] not in item.values:
                raise DataFileError(
                    path, where, f"item '{inst_id}.{item.id}' has no answer {flag['at_least']}"
                )
            item_flags.append((item.id, flag["at_least"], tuple(flag["needs"])))
        # A risk answer must always route to crisis help: the instrument and the table cannot disagree.
        for item in inst.items:
            if item.crisis_if_at_least is not None and not any(
                i == item.id and a <= item.crisis_if_at_least and "crisis" in n
                for i, a, n in item_flags
            ):
                raise DataFileError(
                    path, where, f"risk item '{inst_id}.{item.id}' must route to 'crisis'"
                )
        flags[inst_id] = tuple(item_flags)
        for listed_needs in [*bands.values(), *(n for _i, _a, n in item_flags)]:
            for need in listed_needs:
                if need not in needs:
                    raise DataFileError(path, where, f"unknown need '{need}'")
    return Table(needs, bands, flags)


@lru_cache(maxsize=1)
def table() -> Table:
    return load_table()


def needs_for_result(result: instruments.Result) -> list[str]:
    """Needs one scored instrument points to: its bands and any flagged answer."""
    t = table()
    found: list[str] = []
    for s in result.scales:
        found += t.bands[(result.instrument.id, s.scale.id, s.band.id)]
    for item, at_least, flag_needs in t.flags.get(result.instrument.id, ()):
        if result.answers.get(item, -1) >= at_least:
            found += flag_needs
    return found


def needs_for(results: list[instruments.Result]) -> list[Need]:
    """Every need of a sitting, once each, most pressing first (the order of routing.yaml)."""
    t = table()
    ids = {n for r in results for n in needs_for_result(r)}
    return sorted((t.needs[n] for n in ids), key=lambda n: n.rank)


# --- the organization's own people --------------------------------------------------------------
# Apps offer people through ``respite_own_people`` on their AppConfig: a list of
# (kind, "dotted.path.to.available(organization) -> bool", "template"). Only offers whose
# ``available`` answers True are shown: a portal with no counselors never offers a counselor.


def own_people_offers() -> dict[str, tuple[str, str]]:
    offers: dict[str, tuple[str, str]] = {}
    for hooks in installed_hooks():
        for offer in hooks.own_people:
            offers[offer.kind] = (offer.available, offer.template)
    return offers


def own_people(
    organization, needs: list[Need], tier: str, available: set[str] | None = None
) -> list[dict[str, str]]:
    """The organization's people to offer, in the order the needs ask for them, only those it has.

    With no particular need, everyone the portal has is offered (peer support first on a calm result).
    ``available`` is ``available_kinds(organization)`` when the caller has it already (one look-up
    per kind and page).
    """
    if organization is None:
        return []
    wanted: list[str] = []
    for need in needs:
        wanted += [k for k in need.own if k not in wanted]
    offers = own_people_offers()
    if not needs:  # a calm result: a colleague first, and the counselor is still there to talk to
        wanted = (
            ["peer_support", "counselor", "volunteer_therapists"]
            if tier == "self_care"
            else list(OWN_KINDS)
        )
        # Then whatever other apps offer (routing.yaml names the kinds it routes needs to).
        wanted += [k for k in offers if k not in wanted]

    def has(kind: str) -> bool:
        if available is not None:
            return kind in available
        return bool(import_string(offers[kind][0])(organization))

    return [{"kind": k, "template": offers[k][1]} for k in wanted if k in offers and has(k)]


def available_kinds(organization) -> set[str]:
    """Which of the organization's own people exist at all (for self-care wording)."""
    if organization is None:
        return set()
    return {
        k
        for k, (available, _t) in own_people_offers().items()
        if import_string(available)(organization)
    }


# --- matched services from the directory -----------------------------------------------------------


def matched_services(
    organization,
    needs: list[Need],
    *,
    tier: str,
    role_group: str = "",
    language: str = "en",
    limit: int = 6,
) -> list[dict[str, Any]]:
    """Directory services for each need, most pressing need first; the organization's own entries
    lead within a need. The rest of the list is filled with the directory's tier suggestions."""
    from respite.directory import search as directory

    lang = (language or "en")[:2]
    chosen: list[Any] = []
    seen: set[str] = set()
    per_need = 3 if len(needs) > 1 else limit
    for need in needs:
        found = directory.search(
            need.directory,
            organization=organization,
            filters=directory.Filters(role_group=role_group),
            limit=per_need * 2,
            semantic=False,
        ).services
        own = [s for s in found if organization is not None and s.portal_id == organization.pk]
        rest = [s for s in found if s not in own]
        for s in [*own, *rest][:per_need]:
            if s.id not in seen:
                seen.add(s.id)
                chosen.append({**directory.as_card(s, lang), "need": tr(need.label, lang)})
    cards = chosen[:limit]
    if len(cards) < limit:
        for card in directory.recommend(
            organization=organization, tier=tier, role_group=role_group, language=lang, limit=limit
        ):
            if card["id"] not in seen and len(cards) < limit:
                seen.add(card["id"])
                cards.append(card)
    return cards
