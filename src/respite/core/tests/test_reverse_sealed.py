"""``reverse_sealed`` resolves a worker route once and seals each id into it (issue 19): every URL it
gives must be exactly Django's ``reverse`` for that id, whatever the hour or the path the portal is
served under, and open the same object."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.urls import clear_script_prefix, resolve, reverse, set_script_prefix

from respite.core import urlseal
from respite.core.urlseal import reverse_sealed


@pytest.mark.parametrize("name", ["screening:result", "screening:save"])
def test_it_gives_django_s_url_for_every_id(name):
    for _ in range(20):
        pk = uuid.uuid4()
        url = reverse_sealed(name, pk, org="acme")
        assert url == reverse(name, kwargs={"org": "acme", "pk": pk})
        assert resolve(url).kwargs == {"org": "acme", "pk": pk}
    other = uuid.uuid4()
    assert reverse_sealed(name, other, org="elsewhere") == reverse(
        name, kwargs={"org": "elsewhere", "pk": other}
    )


def test_a_new_hour_seals_anew_and_the_old_link_still_opens():
    pk = uuid.uuid4()
    now = urlseal._hour()
    with mock.patch.object(urlseal, "_hour", return_value=now):
        before = reverse_sealed("screening:result", pk, org="acme")
    with mock.patch.object(urlseal, "_hour", return_value=now + 1):
        after = reverse_sealed("screening:result", pk, org="acme")
        assert after == reverse("screening:result", kwargs={"org": "acme", "pk": pk})
        assert resolve(before).kwargs["pk"] == pk  # within RESPITE_SEALED_URL_HOURS
    assert after != before


def test_under_a_sub_path_the_url_keeps_it():
    pk = uuid.uuid4()
    set_script_prefix("/wellbeing/")
    try:
        url = reverse_sealed("screening:result", pk, org="acme")
        assert url.startswith("/wellbeing/o/acme/")
        assert url == reverse("screening:result", kwargs={"org": "acme", "pk": pk})
    finally:
        clear_script_prefix()
    assert reverse_sealed("screening:result", pk, org="acme").startswith("/o/acme/")


def test_an_id_given_as_text_is_reversed_as_django_would():
    pk = uuid.uuid4()
    assert reverse_sealed("screening:result", str(pk), org="acme") == reverse(
        "screening:result", kwargs={"org": "acme", "pk": str(pk)}
    )
