"""An assessment rater finds the assessments they rate from the staff header and the staff home."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def _nav(body: str) -> list[str]:
    nav = re.split(r'<nav aria-label="(?:Staff|Personal|Equipo)[^"]*">', body, maxsplit=1)[1]
    nav = nav.split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Assessments to rate"), ("es", "Evaluaciones por calificar")]
)
def test_a_rater_sees_exactly_the_assessments_to_rate(org, language, label):
    rater = make_staff(org, StaffRole.ASSESSMENT_RATER, "rater")
    client = Client()
    assert client.login(username="rater", password=PASSWORD)

    body = client.get("/staff/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    rate = f"/staff/o/{org.slug}/assessments/rate/"
    assert _nav(body) == ["/staff/", rate]
    assert label in body
    assert client.get(rate).status_code == 200
    # Nothing of an admin's: the assessments index and the console stay closed.
    assert client.get(f"/staff/o/{org.slug}/assessments/").status_code == 404
    assert client.get(f"/staff/o/{org.slug}/staff/").status_code == 404
    assert rater.is_active
