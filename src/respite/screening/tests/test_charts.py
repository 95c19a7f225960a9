"""One small chart per instrument, with its severity bands named in the worker's language."""

from __future__ import annotations

import pytest
from django.test import Client

from respite.core.urlseal import seal
from respite.screening.models import Screening
from respite.screening.tests.test_worker_flow import checkin_data

pytestmark = pytest.mark.django_db


def _saved(client, org, lang="en"):
    client.post(f"/o/{org.slug}/check-in/", checkin_data(burnout=3), HTTP_ACCEPT_LANGUAGE=lang)
    screening = Screening.objects.get()
    client.post(f"/o/{org.slug}/results/{seal(screening.pk)}/save/", HTTP_ACCEPT_LANGUAGE=lang)
    return screening


@pytest.mark.parametrize(
    ("lang", "band", "axis"), [("en", "Burnout", "Score"), ("es", "Sin burnout", "Puntaje")]
)
def test_each_instrument_has_its_own_chart_with_bands_in_the_workers_language(
    client, org, lang, band, axis
):
    _saved(client, org, lang)
    page = client.get(f"/o/{org.slug}/my/space/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    for inst in ("phq2", "gad2", "burnout", "selfharm"):
        assert f"/my/history/chart/{inst}.svg" in page
    svg = client.get(f"/o/{org.slug}/my/history/chart/burnout.svg", HTTP_ACCEPT_LANGUAGE=lang)
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    text = svg.content.decode()
    assert 'width="259.2pt"' in text  # 3.6 in at 100 dpi: 360 px, readable on a phone
    assert band in text and axis in text


def test_charts_are_only_for_the_codes_holder(client, org):
    _saved(client, org)
    assert Client().get(f"/o/{org.slug}/my/history/chart/burnout.svg").status_code == 404
    assert (
        client.get(f"/o/{org.slug}/my/history/chart/proqol5.svg").status_code == 404
    )  # nothing to draw
