"""Routing by need: the table covers every instrument x band x flag, and the result page shows help in
the promised order (crisis, result, the organization's own people, matched services, self-care)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from respite.core.datafiles import DataFileError
from respite.counseling.tests.conftest import make_clinician
from respite.directory.models import Provider, Service
from respite.peers.tests.factories import make_supporter
from respite.screening import instruments, routing
from respite.screening.instruments import Result, ScaleResult

BANDS = [
    (i.id, s.id, b.id) for i in instruments.registry().values() for s in i.scales for b in s.bands
]
FLAGS = [
    (i.id, item.id)
    for i in instruments.registry().values()
    for item in i.items
    if item.crisis_if_at_least is not None
]
EXPECTED_NEED = {  # what a worker with this result must be routed to, whatever else the table says
    ("hvs", "risk", "at_risk"): "food",
    ("pcptsd5", "total", "positive"): "trauma",
    ("phq9", "total", "moderate"): "mood",
    ("phq9", "total", "severe"): "mood",
    ("gad7", "total", "severe"): "anxiety",
    ("burnout", "burnout", "burnout"): "burnout",
    ("proqol5", "secondary_traumatic_stress", "high"): "secondary_traumatic_stress",
    ("cssrs", "risk", "high"): "crisis",
    ("cssrs", "risk", "low"): "crisis",
}


def _result_in_band(inst_id: str, scale_id: str, band_id: str) -> Result:
    inst = instruments.get(inst_id)
    scales = tuple(
        ScaleResult(s, 0, s.band(band_id) if s.id == scale_id else s.bands[0]) for s in inst.scales
    )
    return Result(inst, {}, scales, ())


@pytest.mark.parametrize(
    ("inst_id", "scale_id", "band_id"), BANDS, ids=["-".join(b) for b in BANDS]
)
def test_every_band_has_a_route_and_positive_bands_route_somewhere(inst_id, scale_id, band_id):
    band = (
        instruments.get(inst_id)
        .scales[[s.id for s in instruments.get(inst_id).scales].index(scale_id)]
        .band(band_id)
    )
    needs = routing.table().bands[(inst_id, scale_id, band_id)]
    assert all(n in routing.table().needs for n in needs)
    if band.positive:
        assert needs, f"a positive {inst_id} {band_id} result must point to some help"
    if band.tier == "crisis":
        assert "crisis" in needs
    if (inst_id, scale_id, band_id) in EXPECTED_NEED:
        found = [n.id for n in routing.needs_for([_result_in_band(inst_id, scale_id, band_id)])]
        assert EXPECTED_NEED[(inst_id, scale_id, band_id)] in found


@pytest.mark.parametrize(("inst_id", "item_id"), FLAGS, ids=["-".join(f) for f in FLAGS])
def test_every_risk_answer_routes_to_crisis_help(inst_id, item_id):
    inst = instruments.get(inst_id)
    item = inst.item(item_id)
    answers = {i.id: min(i.values) for i in inst.items}
    answers[item_id] = item.crisis_if_at_least
    if item.show_if:  # open the gate so the item is asked
        answers[item.show_if[0]] = item.show_if[1]
    result = inst.score(answers)
    assert "crisis" in routing.needs_for_result(result)
    assert routing.needs_for([result])[0].id == "crisis"  # the most pressing need comes first


def test_burnout_level_five_asks_for_a_safety_check_and_four_does_not():
    inst = instruments.get("burnout")
    assert "safety_check" in routing.needs_for_result(inst.score({"1": 5}))
    assert "safety_check" not in routing.needs_for_result(inst.score({"1": 4}))


def test_food_comes_before_clinical_needs():
    hvs = instruments.get("hvs").score({"1": 1, "2": 0})
    phq9 = instruments.get("phq9").score({str(i): 2 for i in range(1, 9)} | {"9": 0})
    assert [n.id for n in routing.needs_for([phq9, hvs])][:2] == ["food", "mood"]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped() -> dict:
    return yaml.safe_load(routing.ROUTING_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["instruments"].pop("hvs"), "instrument 'hvs' has no route"),
        (
            lambda d: d["instruments"]["phq9"]["scales"]["total"].pop("mild"),
            "band 'phq9.total.mild' has no route",
        ),
        (
            lambda d: d["instruments"]["gad7"]["scales"]["total"].update(moderate=["worry"]),
            "unknown need 'worry'",
        ),
        (
            lambda d: d["instruments"]["phq9"].pop("flags"),
            "risk item 'phq9.9' must route to 'crisis'",
        ),
        (
            lambda d: d["instruments"]["cssrs"]["scales"]["risk"].update(high=["mood"]),
            "must route to 'crisis'",
        ),
        (lambda d: d["instruments"].update(nope={"scales": {}}), "'nope' is not an instrument"),
    ],
)
def test_a_broken_table_is_refused_with_its_reason(tmp_path, change, message):
    data = _shipped()
    change(data)
    with pytest.raises(DataFileError, match=re.escape(message)):
        routing.load_table(_write(tmp_path, data))


def test_the_shipped_table_loads():
    assert routing.load_table().needs["food"].directory


# --- the result page --------------------------------------------------------------------------------


def _service(name: str, keywords: str, *, portal=None, tiers=("counseling",)) -> Service:
    provider = Provider.objects.create(name=f"{name} provider", portal=portal)
    return Service.objects.create(
        provider=provider,
        portal=portal,
        name=name,
        description=f"<p>{name}</p>",
        keywords=keywords,
        tiers=list(tiers),
        languages=["en", "es"],
        audiences=["worker"],
    )


@pytest.fixture
def services(org):
    return {
        "therapy": _service("Confidential Therapy Line", "therapy counseling depression anxiety"),
        "pantry": _service(
            "Acme Staff Food Pantry", "food pantry groceries", portal=org, tiers=("self_care",)
        ),
        "snap": _service(
            "SNAP food benefits", "food SNAP groceries benefits", tiers=("self_care",)
        ),
        "ppe": _service("Emotional PPE", "therapy counseling volunteer"),
    }


def _cards(body: str) -> list[str]:
    return re.findall(r'data-service="([^"]+)"', body)


@pytest.mark.django_db
def test_positive_hunger_vital_sign_shows_the_pantry_then_national_food_help_first(
    client, org, services
):
    body = client.post(
        f"/o/{org.slug}/screenings/hvs/", {"hvs__1": 1, "hvs__2": 0}, follow=True
    ).content.decode()
    cards = _cards(body)
    assert cards[:2] == [services["pantry"].id, services["snap"].id]
    assert "Food" in body  # the need is named on the card


@pytest.mark.django_db
def test_own_people_are_offered_only_when_they_exist(client, org):
    answers = {f"phq9__{i}": 2 for i in range(1, 8)} | {"phq9__8": 0, "phq9__9": 0}  # 14: moderate
    body = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    assert (
        "own-people" not in body
        and "Talk to a counselor" not in body
        and "peer supporter" not in body
    )

    from respite.core.roles import StaffRole
    from respite.core.testing import make_staff

    make_staff(org, StaffRole.COUNSELOR, "counselor")
    make_supporter(org, "pat")
    make_clinician("therapist")
    body = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    order = [
        body.index(m)
        for m in ("Talk to a counselor", "volunteer therapist", "Ask for peer support")
    ]
    assert order == sorted(order)
    # the page order: result, own people, matched services, self-care
    sections = [
        body.index(m) for m in ('class="result-summary', 'class="own-people"', 'id="rec-title"')
    ]
    assert sections == sorted(sections)
    # the portal has peer support: no advice to "ask your organization" about one
    calm = client.post(
        f"/o/{org.slug}/screenings/phq9/", {f"phq9__{i}": 0 for i in range(1, 10)}, follow=True
    ).content.decode()
    assert "Ask your organization about its peer support program" not in calm
    assert "Ask for peer support" in calm


@pytest.mark.django_db
def test_a_paused_peer_program_is_not_offered(client, org):
    make_supporter(org, "pat", active=False)
    body = client.post(
        f"/o/{org.slug}/screenings/phq9/", {f"phq9__{i}": 0 for i in range(1, 10)}, follow=True
    ).content.decode()
    assert "Ask for peer support" not in body
    assert "Ask your organization about its peer support program" in body


@pytest.mark.django_db
@pytest.mark.parametrize(("level", "offered"), [(5, True), (4, False)])
def test_burnout_level_five_offers_the_safety_check_on_the_result(client, org, level, offered):
    body = client.post(
        f"/o/{org.slug}/screenings/burnout/", {"burnout__1": level}, follow=True
    ).content.decode()
    assert ("/screenings/cssrs/" in body) is offered


def test_every_need_is_used_or_reserved_for_future_instruments():
    used = {n for needs in routing.table().bands.values() for n in needs}
    used |= {n for flags in routing.table().flags.values() for _i, _a, ns in flags for n in ns}
    reserved = {
        "housing",
        "money",
        "childcare",
        "moral_distress",
        "substance_use",
    }  # no instrument yet
    assert set(routing.table().needs) == used | reserved
