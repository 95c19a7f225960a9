"""Self-care guides as data: suggested by need on the result page, readable in both languages."""

from __future__ import annotations

import pytest
import yaml

from respite.core.datafiles import DataFileError
from respite.screening import selfcare

pytestmark = pytest.mark.django_db


def test_a_sleep_need_suggests_the_night_shift_sleep_guide(client, org):
    answers = {f"phq9__{i}": 0 for i in range(1, 10)} | {
        "phq9__3": 3,
        "phq9__4": 3,
    }  # 6: mild -> sleep
    body = client.post(f"/o/{org.slug}/screenings/phq9/", answers, follow=True).content.decode()
    assert f'href="/o/{org.slug}/self-care/sleep-after-nights/"' in body
    assert body.index('id="rec-title"') < body.index(
        "sleep-after-nights/"
    )  # in the self-care section, last


@pytest.mark.parametrize(
    ("lang", "title"),
    [("en", "Sleep after a night shift"), ("es", "Dormir después de un turno de noche")],
)
def test_guides_read_in_the_workers_language(client, org, lang, title):
    body = client.get(
        f"/o/{org.slug}/self-care/sleep-after-nights/", HTTP_ACCEPT_LANGUAGE=lang
    ).content.decode()
    assert title in body and "988" in body
    listing = client.get(f"/o/{org.slug}/self-care/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert listing.count("<h2>") == len(selfcare.all_guides(lang))


def test_the_breathing_timer_needs_no_script(client, org):
    body = client.get(f"/o/{org.slug}/self-care/breathing/").content.decode()
    assert 'class="breathing-circle"' in body
    assert (
        "<script>" not in body
    )  # paced by CSS animation alone (and still with prefers-reduced-motion)


def test_unknown_guide_is_a_branded_404(client, org):
    response = client.get(f"/o/{org.slug}/self-care/nope/")
    assert (
        response.status_code == 404 and "We could not find that page" in response.content.decode()
    )


def test_a_guide_naming_an_unknown_need_is_refused(tmp_path, monkeypatch):
    data = yaml.safe_load(selfcare.GUIDES_FILE.read_text(encoding="utf-8"))
    data[0]["needs"] = ["naps"]
    path = tmp_path / "selfcare.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(selfcare, "GUIDES_FILE", path)
    selfcare._guides.cache_clear()
    try:
        with pytest.raises(DataFileError, match="unknown need 'naps'"):
            selfcare.all_guides("en")
    finally:
        monkeypatch.undo()
        selfcare._guides.cache_clear()
