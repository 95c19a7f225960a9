"""Crisis intent in directory search: measured on a written set of phrasings, then tried over HTTP.

The set (data/crisis_phrasings.yaml) holds English and Spanish crisis phrasings (first person, about a
colleague, negations, typos) and benign ones chosen to look alike. A missed crisis fails the build.
"""

from __future__ import annotations

import pytest

from respite.directory import crisis
from respite.directory.search import search, understand


def test_crisis_set_recall_is_total_and_false_alarms_stay_low(db, capsys):
    data = crisis.phrasings()
    sizes = {label: {lang: len(data[label][lang]) for lang in ("en", "es")} for label in data}
    assert sum(sum(v.values()) for v in sizes.values()) >= 150
    assert min(min(v.values()) for v in sizes.values()) >= 30  # both languages, both labels

    report = crisis.evaluate()
    # What search itself decides, phrase by phrase (the same detector, through understand()).
    missed = [t for t in sum(data["crisis"].values(), []) if not understand(t)["crisis"]]
    alarms = [t for t in sum(data["benign"].values(), []) if understand(t)["crisis"]]
    with capsys.disabled():
        print(f"\ncrisis set: {sizes}; meaning threshold {report['threshold']}")
        for key in ("combined", "combined_en", "combined_es", "pattern", "meaning"):
            r = report[key]
            print(
                f"  {key:12} recall {r['recall']:.3f}  false alarms {r['false_alarm_rate']:.3f}"
                f"  ({r['crises']} crisis, {r['benign']} benign)"
            )
        print(f"  search: {len(missed)} missed, {len(alarms)} false alarms: {alarms}")
    assert report["combined"]["recall"] == 1.0, report["misses"]
    assert report["combined"]["false_alarm_rate"] <= 0.10, report["false_alarms"]
    assert not missed
    assert len(alarms) / sum(sizes["benign"].values()) <= 0.10


def test_the_shipped_threshold_is_the_one_the_set_chooses(db):
    assert crisis.choose_threshold() == crisis.SEMANTIC_THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "I want to die",
        "end my life",
        "hurt myself",
        "self harm",
        "thinking of killing myself",
        "no quiero vivir",
        "quitarme la vida",
        "I DON’T want to live",
        "Me quiero MORIR",
        "my coworker keeps talking about killing himself",
    ],
)
def test_the_reported_misses_now_fire(db, text):
    assert crisis.detect(text).crisis


@pytest.mark.parametrize(
    "text", ["kill time between shifts", "emergency childcare", "suicide prevention training"]
)
def test_look_alikes_do_not_fire(db, text):
    assert not crisis.detect(text).crisis


def test_patterns_alone_still_fire_without_the_model(db, monkeypatch):
    monkeypatch.setattr(crisis, "similarity", lambda text: 0.0)
    assert crisis.detect("no quiero seguir viviendo").crisis
    assert crisis.detect("mi compañero habla de quitarse la vida").crisis


def test_a_colleague_in_crisis_gets_crisis_lines_first(directory):
    for text in ("my colleague said she wants to die", "quiero quitarme la vida"):
        result = search(text)
        assert result.crisis
        assert result.services[0].id in {"988-lifeline", "crisis-text-line"}


def test_search_page_shows_crisis_options_before_any_result(client, riverside, directory):
    for lang, text in (("en", "I want to die"), ("es", "no quiero vivir")):
        client.cookies["django_language"] = lang
        body = client.get(f"/o/{riverside.slug}/directory/", {"q": text}).content.decode()
        assert 'class="crisis"' in body
        assert body.index('class="crisis"') < body.index('class="dir-card')
        assert "tel:988" in body
    body = client.get(f"/o/{riverside.slug}/directory/", {"q": "kill time between shifts"})
    assert 'class="crisis"' not in body.content.decode()


def test_api_says_when_a_query_is_a_crisis(client, directory):
    data = client.get("/api/v1/services", {"q": "thinking of killing myself"}).json()
    assert data["crisis"] is True
    assert data["crisis_options"][0]["actions"][0]["href"] == "tel:988"
    assert data["contents"][0]["name"] in {"988 Suicide & Crisis Lifeline", "Crisis Text Line"}
    assert client.get("/api/v1/services", {"q": "childcare"}).json()["crisis"] is False
