"""Several raters: invitations, independent ratings, median and spread, the consensus view, and
action items whose owner account gets the reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from respite.assessments.models import ActionItem, Rater, Rating, Spread
from respite.assessments.tests.conftest import url
from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import make_staff, run_tasks

pytestmark = pytest.mark.django_db

CRITERION = "access_off_hours"


@pytest.fixture
def raters(org):
    return [make_staff(org, StaffRole.ASSESSMENT_RATER, f"rater{i}") for i in (1, 2, 3)]


@pytest.fixture
def invited(admin_client, org, assessment, raters):
    response = admin_client.post(
        url(org, "raters", pk=assessment.pk), {"users": [u.pk for u in raters]}
    )
    assert response.status_code == 302
    return raters


def _rate(org, assessment, user, value, note="", submit=True):
    client = Client()
    client.force_login(user)
    data = {f"v_{CRITERION}": str(value), f"n_{CRITERION}": note}
    if submit:
        data["submit"] = "1"
    return client.post(url(org, "rate", pk=assessment.pk), data)


@pytest.fixture
def raters_with_email(raters):
    for user in raters:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return raters


def test_invited_raters_get_an_invitation_through_the_queue(
    admin_client, org, assessment, raters_with_email
):
    mail.outbox.clear()
    admin_client.post(url(org, "raters", pk=assessment.pk), {"users": [raters_with_email[0].pk]})
    assert mail.outbox == []  # nothing is sent from the request itself
    run_tasks()
    assert [m.to for m in mail.outbox] == [["rater1@example.org"]]
    assert "Spring review" in mail.outbox[0].body
    assert f"/assessments/{assessment.pk}/rate/" in mail.outbox[0].body


def test_admin_invites_raters_and_only_raters_or_admins_can_be_invited(
    admin_client, org, assessment, invited, counselor, outsider
):
    assert set(Rater.objects.values_list("user__username", flat=True)) == {
        "rater1",
        "rater2",
        "rater3",
    }
    assert AuditLog.objects.filter(action="assessment.rater_invited").count() == 3
    page = admin_client.get(url(org, "raters", pk=assessment.pk)).content.decode()
    assert "rater1" in page and "0 / " in page
    # A counselor of the organization or a stranger cannot be slipped in by id.
    for user in (counselor, outsider):
        response = admin_client.post(url(org, "raters", pk=assessment.pk), {"users": [user.pk]})
        assert response.status_code == 400
    assert Rater.objects.count() == 3


def test_each_rater_sees_only_their_own_ratings(org, assessment, invited):
    first, second, _third = invited
    _rate(org, assessment, first, 1, note="Only a daytime EAP line")
    client = Client()
    client.force_login(second)
    page = client.get(url(org, "rate", pk=assessment.pk)).content.decode()
    assert "Only a daytime EAP line" not in page
    fieldset = page.split(f'data-criterion="{CRITERION}"')[1].split("</fieldset>")[0]
    assert 'value="1"' in fieldset and "checked" not in fieldset  # not anchored by the first rater
    # Raters reach neither the consensus view, the raters list, nor the admins' answer page.
    for name in ("consensus", "raters", "answer", "scorecard", "report_pdf"):
        assert client.get(url(org, name, pk=assessment.pk)).status_code == 404


def test_a_rater_who_was_not_invited_gets_404(org, assessment, invited):
    stranger = make_staff(org, StaffRole.ASSESSMENT_RATER, "uninvited")
    response = _rate(org, assessment, stranger, 3)
    assert response.status_code == 404
    assert not Rating.objects.filter(rater__user=stranger).exists()


def test_bad_ratings_get_400_and_csrf_is_enforced(org, assessment, invited):
    client = Client()
    client.force_login(invited[0])
    response = client.post(url(org, "rate", pk=assessment.pk), {f"v_{CRITERION}": "9"})
    assert response.status_code == 400
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(invited[0])
    response = strict.post(url(org, "rate", pk=assessment.pk), {f"v_{CRITERION}": "2"})
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_median_and_spread():
    assert (Spread((1, 2, 3), 3).median, Spread((1, 2, 3), 3).range) == (2.0, 2)
    assert Spread((1, 2, 3), 3).disagree and not Spread((2, 3, 3), 3).disagree
    assert Spread((2, 3), 3).median == 2.5 and Spread((2, 3), 3).suggested == 2
    assert Spread((0, 3, 3, 3), 3).counts() == [1, 0, 0, 3]
    assert Spread((), 3).median is None and not Spread((), 3).disagree


def test_consensus_shows_median_and_spread_and_saves_the_agreed_rating(
    admin_client, org, assessment, invited
):
    for user, value, note in zip(
        invited, (1, 2, 3), ("Daytime EAP only", "", "24/7 line since May"), strict=True
    ):
        assert _rate(org, assessment, user, value, note).status_code == 302
    page = admin_client.get(url(org, "consensus", pk=assessment.pk)).content.decode()
    assert "3 of 3 raters submitted" in page
    assert "3 ratings · median 2 · spread 2" in page and "Discuss" in page
    assert "Daytime EAP only" in page and "24/7 line since May" in page
    assert "rater1" not in page  # notes without names: the meeting weighs evidence
    # The agreed rating starts at the median; saving makes it the assessment's answer.
    response = admin_client.post(
        url(org, "consensus", pk=assessment.pk),
        {f"v_{CRITERION}": "2", f"n_{CRITERION}": "Agreed: EAP covers nights from July"},
    )
    assert response.status_code == 302
    answer = assessment.answers.get(criterion=CRITERION)
    assert (answer.value, answer.note) == (2, "Agreed: EAP covers nights from July")


def test_gap_plan_gives_items_an_owner_account_who_gets_the_reminder(
    admin_client, org, assessment, org_admin, raters, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owner = raters[0]
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    assessment.do_record_answers(org_admin, {"reentry_written": (0, ""), "php_known": (1, "")})
    response = admin_client.post(
        url(org, "plan_from_gaps", pk=assessment.pk),
        {
            "areas": ["reentry"],
            "owner_account": owner.pk,
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert item.owner_account == owner and item.owner_display == "rater1"
    call_command("assessment_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # The command queues the mail (respite.core.tasks); the worker delivers it.
    run_tasks()
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert item.title in mail.outbox[0].body
