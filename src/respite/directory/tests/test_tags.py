"""What a directory card says in words: opening hours, who vouches for an entry, ages, costs and the
portal's own page, in English and in Spanish."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from respite.core.models import Organization
from respite.directory.models import CostOption, Schedule, Service
from respite.directory.templatetags import directory_tags as tags


def _hours(byday: str, opens: time, closes: time, tz: int = -8, lang: str = "en") -> str:
    with translation.override(lang):
        return tags.human_hours(
            Schedule(byday=byday, opens_at=opens, closes_at=closes, timezone=tz)
        )


@pytest.mark.parametrize(
    ("byday", "opens", "closes", "tz", "en", "es"),
    [
        (
            "MO,TU,WE,TH,FR,SA,SU",
            time(0, 0),
            time(23, 59),
            -8,
            "Every day, midnight–11:59pm (Pacific time)",
            "Todos los días, 0:00–23:59 (hora del Pacífico)",
        ),
        (
            "SA,SU",
            time(10),
            time(14),
            -5,
            "Weekends, 10am–2pm (Eastern time)",
            "Fines de semana, 10:00–14:00 (hora del Este)",
        ),
        (
            "TU,WE,TH",
            time(12, 30),
            time(17),
            -6,
            "Tuesday to Thursday, 12:30pm–5pm (Central time)",
            "De martes a jueves, 12:30–17:00 (hora del Centro)",
        ),
        (
            "MO,WE",
            time(9),
            time(12),
            1,
            "Monday, Wednesday, 9am–12pm (UTC+1)",
            "lunes, miércoles, 9:00–12:00 (UTC+1)",
        ),
        (
            "FR,MO,TH,TU,WE",  # any order in the source
            time(8),
            time(18),
            -3,
            "Monday to Friday, 8am–6pm (UTC-3)",
            "De lunes a viernes, 8:00–18:00 (UTC-3)",
        ),
    ],
)
def test_opening_hours_read_like_a_person_wrote_them(byday, opens, closes, tz, en, es):
    assert _hours(byday, opens, closes, tz) == en
    assert _hours(byday, opens, closes, tz, "es") == es


def test_who_vouches_for_an_entry_is_said_plainly_and_never_as_a_username():
    riverside = Organization(name="Riverside Community Health", slug="riverside")
    checked = date(2026, 3, 2)
    cases = [
        (Service(portal_service="counseling"), "Offered by your organization now"),
        (
            Service(assured_date=checked, portal=riverside, assured_by="jdoe"),
            "Last verified March 2, 2026 by Riverside Community Health",
        ),
        (
            Service(assured_date=checked, assured_by="988 Lifeline"),
            "Last verified March 2, 2026 by 988 Lifeline",
        ),
        (Service(assured_date=checked), "Last verified March 2, 2026"),
        (
            Service(source="SAMHSA fact sheet, 2025"),
            "From SAMHSA fact sheet, 2025; not yet verified by a person",
        ),
        (Service(), "Not yet verified by a person"),
    ]
    with translation.override("en"):
        assert [tags.verified_line(s) for s, _said in cases] == [said for _s, said in cases]
    with translation.override("es"):
        assert tags.verified_line(Service()) == "Aún no verificado por una persona"
        assert tags.verified_line(Service(assured_date=checked)).startswith(
            "Verificado por última vez el 2 de marzo de 2026"
        )


def test_ages_are_given_only_as_the_source_states_them():
    with translation.override("en"):
        assert tags.age_range(Service(minimum_age=12, maximum_age=100)) == "Ages 12 to 100"
        assert tags.age_range(Service(minimum_age=18)) == "Ages 18 and over"
        assert tags.age_range(Service(maximum_age=17)) == "Up to age 17"
        assert tags.age_range(Service()) == ""
    with translation.override("es"):
        assert tags.age_range(Service(minimum_age=18)) == "Desde los 18 años"
        assert tags.age_range(Service(maximum_age=17)) == "Hasta los 17 años"


def test_a_cost_is_shown_in_its_own_currency_never_converted():
    assert tags.cost_line(
        CostOption(option="Session", amount=Decimal("40.00"), currency="gbp")
    ) == ("Session: 40 GBP")
    assert (
        tags.cost_line(
            CostOption(amount=Decimal("12.50"), currency="USD", amount_description="per visit")
        )
        == "12.50 USD per visit"
    )
    assert tags.cost_line(CostOption(option="Sliding scale", amount_description="by income")) == (
        "Sliding scale: by income"
    )


def test_the_portals_own_service_links_to_its_page_and_nothing_else_does(monkeypatch):
    riverside = Organization(name="Riverside", slug="riverside")
    counseling = Service(portal_service="counseling")
    assert tags.portal_link(counseling, riverside) == reverse(
        "counseling:home", kwargs={"org": "riverside"}
    )
    assert tags.portal_link(Service(), riverside) == ""
    assert tags.portal_link(counseling, None) == ""  # no portal, no portal page
    # A portal service whose app is not installed: no link, never a broken page.
    monkeypatch.setitem(tags.PORTAL_PAGES, "counseling", "not_installed:home")
    assert tags.portal_link(counseling, riverside) == ""
