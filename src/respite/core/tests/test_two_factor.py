"""Two-factor sign-in, tried over HTTP as staff and as an attacker who knows a password.

Actors: a counselor, an organization admin and a platform admin (roles that must use a second factor),
an assessment rater (who need not), and an attacker holding one of their passwords."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import (
    PASSWORD,
    enrol_two_factor,
    find,
    make_staff,
    run_tasks,
    totp_code,
)


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.RESPITE_TWO_FACTOR_REQUIRED = True


def password_only(user, **extra) -> Client:
    client = Client(**extra)
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def signed_in(user, secret: str, step: int = 0) -> Client:
    client = password_only(user)
    response = client.post("/staff/two-factor/", {"code": totp_code(secret, steps_ahead=step)})
    assert response.status_code == 302, response.content.decode()
    return client


def _case(org):
    from respite.counseling.tests.conftest import make_case

    return make_case(org, answers={str(i): 2 for i in range(1, 10)})


def _secret_from(page: str) -> str:
    uri = find(r'data-otpauth="([^"]+)"', page)
    return find(r"secret=([A-Z2-7]+)", uri)


# --- The attacker with a password ------------------------------------------------------------------


def test_a_password_alone_reaches_no_case_message_console_or_api(org, counselor, org_admin):
    """Someone who learnt a counselor's and an admin's passwords signs in with them and tries every
    door: each staff page sends them to the second step, the API treats them as nobody."""
    from respite.pulse.tests.factories import make_survey

    enrol_two_factor(counselor)
    enrol_two_factor(org_admin)
    case = _case(org)
    survey = make_survey(org)
    attacker = password_only(counselor)
    for path in (
        "/staff/",
        f"/staff/o/{org.slug}/counseling/",
        f"/staff/o/{org.slug}/counseling/cases/{case.pk}/",
        "/staff/profile/",
        f"/o/{org.slug}/",
    ):
        response = attacker.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/staff/two-factor/"
        ), path
    # Writing a message into the case is refused the same way, and nothing is written.
    response = attacker.post(
        f"/staff/o/{org.slug}/counseling/cases/{case.pk}/reply/", {"body": "hello"}
    )
    assert response.status_code == 302 and "/staff/two-factor/" in response["Location"]
    assert case.messages.count() == 0

    admin = password_only(org_admin)
    for path in (f"/staff/o/{org.slug}/staff/", f"/staff/o/{org.slug}/audit/"):
        assert admin.get(path)["Location"].startswith("/staff/two-factor/"), path
    response = admin.get(f"/api/v1/pulse/{org.slug}/surveys")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert admin.get(f"/api/v1/pulse/{org.slug}/surveys/{survey.pk}/dashboard").status_code == 401
    # Public API answers stay open to them as to anyone.
    assert admin.get("/api/v1/instruments").status_code == 200


def test_a_new_admin_must_enrol_before_any_page_and_the_enrolment_works(org):
    admin = make_staff(org, StaffRole.ORG_ADMIN, "newadmin")
    client = password_only(admin)
    response = client.get(f"/staff/o/{org.slug}/staff/")
    assert response["Location"].startswith("/staff/two-factor/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "otpauth://totp/" in html
    secret = _secret_from(html)
    # The secret shown for typing by hand is the one in the QR code's address.
    shown = re.search(r'<code class="otp-secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1)
    assert shown.replace(" ", "") == secret.rstrip("=")

    wrong = client.post("/staff/two-factor/", {"code": "000000"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    done = client.post(
        "/staff/two-factor/", {"code": totp_code(secret), "next": f"/staff/o/{org.slug}/staff/"}
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.content.decode())
    assert len(codes) == 10
    assert client.get(f"/staff/o/{org.slug}/staff/").status_code == 200
    # Recovery codes are kept only as hashes.
    from respite.core.models import RecoveryCode

    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert not any(c.replace("-", "") in d or c in d for c in codes for d in stored)
    assert AuditLog.objects.filter(action="staff.two_factor_enrolled", organization=org).exists()


def test_each_recovery_code_works_once(org, counselor):
    secret = enrol_two_factor(counselor)
    client = signed_in(counselor, secret)
    page = client.post(
        "/staff/two-factor/recovery-codes/", {"code": totp_code(secret, steps_ahead=1)}
    )
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.content.decode())
    assert len(codes) == 10

    first = password_only(counselor)
    assert first.post("/staff/two-factor/", {"code": codes[0].upper()}).status_code == 302
    assert first.get(f"/staff/o/{org.slug}/counseling/").status_code == 200
    again = password_only(counselor)
    assert again.post("/staff/two-factor/", {"code": codes[0]}).status_code == 400
    assert again.get(f"/staff/o/{org.slug}/counseling/").status_code == 302
    assert AuditLog.objects.filter(action="staff.recovery_code_used").count() == 1


def test_new_recovery_codes_replace_the_old_ones(org, counselor):
    secret = enrol_two_factor(counselor)
    client = signed_in(counselor, secret)
    old = re.findall(
        r"<code>([a-z2-9-]{11})</code>",
        client.post(
            "/staff/two-factor/recovery-codes/", {"code": totp_code(secret, steps_ahead=1)}
        ).content.decode(),
    )
    # Regenerating needs a current code: a wrong one changes nothing.
    client.post("/staff/two-factor/recovery-codes/", {"code": "123456"})
    assert password_only(counselor).post("/staff/two-factor/", {"code": old[1]}).status_code == 302
    assert AuditLog.objects.filter(action="staff.recovery_codes_regenerated").count() == 1


def test_codes_are_throttled_per_account_and_network(org, counselor, settings):
    """Five wrong codes from one network stop that network for the window, even with the right code;
    the owner on another network is not locked out."""
    secret = enrol_two_factor(counselor)
    attacker = password_only(counselor, REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        assert attacker.post("/staff/two-factor/", {"code": "111111"}).status_code == 400
    response = attacker.post("/staff/two-factor/", {"code": totp_code(secret)})
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert attacker.get(f"/staff/o/{org.slug}/counseling/").status_code == 302

    owner = password_only(counselor, REMOTE_ADDR="198.51.100.7")
    assert (
        owner.post("/staff/two-factor/", {"code": totp_code(secret, steps_ahead=1)}).status_code
        == 302
    )
    assert owner.get(f"/staff/o/{org.slug}/counseling/").status_code == 200
    assert (
        AuditLog.objects.filter(action="auth.second_factor_failed", organization=org).count() >= 5
    )


def test_many_networks_together_hit_the_per_account_limit(org, counselor, settings):
    settings.RESPITE_TWO_FACTOR_FAILURES_PER_ACCOUNT = 6
    secret = enrol_two_factor(counselor)
    for i in range(3):
        client = password_only(counselor, REMOTE_ADDR=f"203.0.113.{i + 1}")
        client.post("/staff/two-factor/", {"code": "111111"})
        client.post("/staff/two-factor/", {"code": "222222"})
    late = password_only(counselor, REMOTE_ADDR="203.0.113.50")
    response = late.post("/staff/two-factor/", {"code": totp_code(secret)})
    assert "Too many wrong codes" in response.content.decode()


def test_a_used_code_cannot_be_replayed(org, counselor):
    secret = enrol_two_factor(counselor)
    code = totp_code(secret)
    assert password_only(counselor).post("/staff/two-factor/", {"code": code}).status_code == 302
    assert password_only(counselor).post("/staff/two-factor/", {"code": code}).status_code == 400


def test_turning_off_needs_a_code_and_a_required_role_must_enrol_again(org, counselor):
    secret = enrol_two_factor(counselor)
    client = signed_in(counselor, secret)
    client.post("/staff/two-factor/disable/", {"code": "123456"})
    assert client.get(f"/staff/o/{org.slug}/counseling/").status_code == 200
    client.post("/staff/two-factor/disable/", {"code": totp_code(secret, steps_ahead=1)})
    assert client.get(f"/staff/o/{org.slug}/counseling/")["Location"].startswith(
        "/staff/two-factor/"
    )
    assert "otpauth://" in client.get("/staff/two-factor/").content.decode()
    assert AuditLog.objects.filter(action="staff.two_factor_disabled").count() == 1


def test_a_rater_is_not_forced_but_may_enrol(org):
    rater = make_staff(org, StaffRole.ASSESSMENT_RATER, "rater")
    client = password_only(rater)
    assert client.get("/staff/").status_code == 200
    assert "otpauth://" in client.get("/staff/two-factor/").content.decode()


def test_platform_admin_with_no_organization_must_use_a_second_factor(db):
    platform = make_staff(None, StaffRole.PLATFORM_ADMIN, "platform")
    client = password_only(platform)
    assert client.get("/staff/organizations/")["Location"].startswith("/staff/two-factor/")
    assert client.get("/staff/tasks/")["Location"].startswith("/staff/two-factor/")


def test_next_never_leaves_the_site(org, counselor):
    secret = enrol_two_factor(counselor)
    client = password_only(counselor)
    response = client.post(
        "/staff/two-factor/", {"code": totp_code(secret), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/staff/"


# --- An admin resets a lost phone -------------------------------------------------------------------


def test_admin_resets_a_counselors_second_factor_audited_and_emailed(
    org, org_admin, counselor, mailoutbox
):
    counselor.email = "cora@example.org"
    counselor.save()
    secret = enrol_two_factor(counselor)
    session = signed_in(counselor, secret)
    admin = signed_in(org_admin, enrol_two_factor(org_admin))
    assert (
        f"/staff/o/{org.slug}/staff/{counselor.pk}/reset-two-factor/"
        in admin.get(f"/staff/o/{org.slug}/staff/{counselor.pk}/").content.decode()
    )
    response = admin.post(f"/staff/o/{org.slug}/staff/{counselor.pk}/reset-two-factor/")
    assert response.status_code == 302
    # The counselor's open session is no longer verified: it goes back to set-up.
    assert session.get(f"/staff/o/{org.slug}/counseling/")["Location"].startswith(
        "/staff/two-factor/"
    )
    run_tasks()
    assert [m.to for m in mail.outbox] == [["cora@example.org"]]
    assert "reset" in mail.outbox[0].body and secret not in mail.outbox[0].body
    entry = AuditLog.objects.get(action="staff.two_factor_reset")
    assert entry.organization == org and entry.target_id == str(counselor.pk)
    # The viewer reads it as a sentence.
    page = admin.get(f"/staff/o/{org.slug}/audit/").content.decode()
    assert f"reset the two-factor sign-in of {counselor.username}" in page


def test_reset_is_refused_to_outsiders_and_non_admins(org, org_admin, counselor, outsider):
    enrol_two_factor(counselor)
    stranger = signed_in(outsider, enrol_two_factor(outsider))
    assert (
        stranger.post(f"/staff/o/{org.slug}/staff/{counselor.pk}/reset-two-factor/").status_code
        == 404
    )
    peer = make_staff(org, StaffRole.COUNSELOR, "colleague")
    colleague = signed_in(peer, enrol_two_factor(peer))
    assert (
        colleague.post(f"/staff/o/{org.slug}/staff/{counselor.pk}/reset-two-factor/").status_code
        == 404
    )
    assert not AuditLog.objects.filter(action="staff.two_factor_reset").exists()


def test_second_factor_events_read_as_sentences_in_spanish(org, org_admin, counselor):
    secret = enrol_two_factor(counselor)
    client = signed_in(counselor, secret)
    client.post("/staff/two-factor/recovery-codes/", {"code": totp_code(secret, steps_ahead=1)})
    from respite.core.twofactor import audit

    audit(counselor, "staff.two_factor_enrolled", counselor)
    admin = signed_in(org_admin, enrol_two_factor(org_admin))
    page = admin.get(f"/staff/o/{org.slug}/audit/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f"{counselor.username} activó el inicio de sesión en dos pasos." in page
    assert f"{counselor.username} creó nuevos códigos de recuperación." in page


# --- Django admin -----------------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    user = make_staff(None, StaffRole.PLATFORM_ADMIN, "root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_django_admin_refuses_a_correct_password_without_the_second_factor(settings, superuser):
    settings.RESPITE_DJANGO_ADMIN = True
    secret = enrol_two_factor(superuser)
    attacker = Client()
    for data in (
        {"username": "root", "password": PASSWORD},
        {"username": "root", "password": PASSWORD, "otp_token": "000000"},
    ):
        response = attacker.post("/admin/login/?next=/admin/", data)
        assert response.status_code == 200  # the form again, with an error
        for path in ("/admin/", "/admin/core/membership/", "/admin/auth/user/"):
            assert attacker.get(path).status_code == 302, path
    # A password-only session from the staff sign-in does not open the admin either.
    staff_session = password_only(superuser)
    assert staff_session.get("/admin/core/membership/")["Location"].startswith("/admin/login/")

    owner = Client()
    response = owner.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "otp_token": totp_code(secret)},
    )
    assert response.status_code == 302
    assert owner.get("/admin/core/membership/").status_code == 200
    # A session verified on the staff pages is verified for the admin too.
    assert signed_in(superuser, secret, step=1).get("/admin/").status_code == 200


def test_django_admin_second_factor_failures_count_toward_the_sign_in_throttle(settings, superuser):
    settings.RESPITE_DJANGO_ADMIN = True
    secret = enrol_two_factor(superuser)
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": PASSWORD, "otp_token": "1"})
    response = client.post(
        "/admin/login/", {"username": "root", "password": PASSWORD, "otp_token": totp_code(secret)}
    )
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_django_admin_stays_404_with_production_settings_even_when_verified(settings, superuser):
    settings.RESPITE_DJANGO_ADMIN = False
    client = signed_in(superuser, enrol_two_factor(superuser))
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404


def test_the_session_id_changes_when_the_second_factor_is_passed(org, counselor):
    secret = enrol_two_factor(counselor)
    client = password_only(counselor)
    before = client.cookies["sessionid"].value
    client.post("/staff/two-factor/", {"code": totp_code(secret)})
    assert client.cookies["sessionid"].value != before
    planted = Client()
    planted.cookies["sessionid"] = before
    assert planted.get(f"/staff/o/{org.slug}/counseling/").status_code == 302
