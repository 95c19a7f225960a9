"""The staff console: navigation per role, invitations, role grants, the platform console, Django admin
gating, sign-in auditing and staff time zones. Tests act over HTTP, as staff and attackers would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from respite.core.models import AuditLog, Invitation, Membership, Organization, RoleGrantRequest
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff, run_tasks
from respite.counseling.models import Clinician
from respite.counseling.tests.conftest import VOLUNTEER_PROFILE

pytestmark = pytest.mark.django_db

PASSPHRASE = "a long enough passphrase 42"


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def invite_link() -> str:
    """The link in the newest email the queue delivered."""
    run_tasks()
    match = re.search(r"https?://[^/\s]+(/staff/invitation/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


def nav_links(client: Client, url: str = "/staff/") -> list[str]:
    body = client.get(url).content.decode()
    nav = body.split('<nav aria-label="Staff">', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


# --- Navigation --------------------------------------------------------------------------------------


def test_each_role_sees_exactly_its_pages_signed_in_as_and_sign_out(org):
    admin = make_staff(org, StaffRole.ORG_ADMIN, "admin1")
    counselor = make_staff(org, StaffRole.COUNSELOR, "couns1")
    peer = make_staff(org, StaffRole.PEER_SUPPORTER, "peer1")
    admin_links = nav_links(login(admin))
    assert (
        f"/staff/o/{org.slug}/staff/" in admin_links
        and f"/staff/o/{org.slug}/audit/" in admin_links
    )
    assert not any("counseling/" in h and "queue" in h for h in admin_links)
    assert f"/staff/o/{org.slug}/counseling/" not in admin_links
    counselor_links = nav_links(login(counselor))
    assert counselor_links == ["/staff/", f"/staff/o/{org.slug}/counseling/"]
    peer_links = nav_links(login(peer))
    assert peer_links == ["/staff/", f"/staff/o/{org.slug}/peer-support/"]
    # Every link a role is shown opens for that role.
    for user, links in ((admin, admin_links), (counselor, counselor_links), (peer, peer_links)):
        client = login(user)
        for href in links:
            assert client.get(href).status_code == 200, (user, href)
    body = login(counselor).get("/staff/").content.decode()
    assert (
        "Signed in as couns1" in body
        and 'action="/staff/logout/"' in body
        and "Staff sign-in" not in body
    )


def test_staff_header_in_spanish(org):
    client = login(make_staff(org, StaffRole.COUNSELOR))
    body = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert (
        "Sesión iniciada como" in body and "Cerrar sesión" in body and "Cola de consejería" in body
    )


def test_peer_lead_granted_in_the_console_reaches_the_lead_pages_from_the_menu(org, org_admin):
    lead = make_staff(org, StaffRole.COUNSELOR, "lead")
    response = login(org_admin).post(
        f"/staff/o/{org.slug}/staff/{lead.pk}/", {"roles": ["counselor", "peer_lead"]}
    )
    assert response.status_code == 302
    links = nav_links(login(lead))
    assert f"/staff/o/{org.slug}/peer-support/lead/" in links
    assert login(lead).get(f"/staff/o/{org.slug}/peer-support/lead/").status_code == 200


def test_staff_pages_show_the_organizations_time_zone_and_a_persons_own(org):
    org.time_zone = "America/Los_Angeles"
    org.save()
    user = make_staff(org, StaffRole.ORG_ADMIN)
    AuditLog.record(user, "organization.settings_changed", org, organization=org, fields=["name"])
    entry = AuditLog.objects.get(action="organization.settings_changed")
    pacific = timezone.localtime(
        entry.at, timezone=__import__("zoneinfo").ZoneInfo("America/Los_Angeles")
    )
    client = login(user)
    body = client.get(f"/staff/o/{org.slug}/audit/").content.decode()
    assert pacific.strftime("%H:%M") in body
    client.post(
        "/staff/profile/",
        {
            "email": "a@example.org",
            "language": "en",
            "time_zone": "America/New_York",
            "frequency": "digest",
        },
    )
    eastern = timezone.localtime(
        entry.at, timezone=__import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert eastern.strftime("%H:%M") in client.get(f"/staff/o/{org.slug}/audit/").content.decode()


# --- Invitations -------------------------------------------------------------------------------------


def test_admin_invites_a_counselor_who_sets_a_password_and_gets_the_role(
    org, org_admin, mailoutbox
):
    client = login(org_admin)
    response = client.post(
        f"/staff/o/{org.slug}/staff/",
        {"email": "New.Counselor@example.org", "roles": ["counselor"]},
    )
    assert response.status_code == 302
    assert not mailoutbox  # queued, not sent in the request
    link = invite_link()
    assert mailoutbox[-1].to == ["new.counselor@example.org"]
    newcomer = Client()
    page = newcomer.get(link)
    assert page.status_code == 200 and "Counselor" in page.content.decode()
    short = newcomer.post(link, {"password1": "short", "password2": "short"})
    assert short.status_code == 400
    done = newcomer.post(
        link,
        {"password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"},
    )
    assert done.status_code == 302
    assert Membership.objects.filter(
        user__email="new.counselor@example.org", role="counselor", organization=org
    ).exists()
    assert newcomer.get("/staff/").status_code == 200
    # Single use: the same link does nothing a second time.
    assert Client().get(link).status_code == 404
    actions = set(AuditLog.objects.filter(organization=org).values_list("action", flat=True))
    assert {
        "staff.invited",
        "staff.invitation_accepted",
        "staff.role_granted",
        "staff.account_created",
    } <= actions


def test_expired_withdrawn_and_replaced_links_do_not_work(org, org_admin, mailoutbox):
    client = login(org_admin)
    client.post(f"/staff/o/{org.slug}/staff/", {"email": "x@example.org", "roles": ["counselor"]})
    first = invite_link()
    invitation = Invitation.objects.get()
    client.post(f"/staff/o/{org.slug}/invitations/{invitation.pk}/resend/")
    second = invite_link()
    assert first != second
    assert Client().get(first).status_code == 404  # replaced by the resend
    assert Client().get(second).status_code == 200
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert Client().get(second).status_code == 404
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    client.post(f"/staff/o/{org.slug}/invitations/{invitation.pk}/withdraw/")
    assert (
        Client()
        .post(
            second,
            {
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )
        .status_code
        == 404
    )
    assert not Membership.objects.filter(role="counselor").exists()
    assert Client().get("/staff/invitation/not-a-real-token/").status_code == 404


def test_an_existing_account_signs_in_before_accepting(org, org_admin, other_org, mailoutbox):
    elsewhere = make_staff(other_org, StaffRole.COUNSELOR, "multi")
    elsewhere.email = "multi@example.org"
    elsewhere.save()
    login(org_admin).post(
        f"/staff/o/{org.slug}/staff/", {"email": "multi@example.org", "roles": ["peer_supporter"]}
    )
    link = invite_link()
    anonymous = Client()
    assert "Sign in" in anonymous.get(link).content.decode()
    assert anonymous.post(link, {}).status_code == 200
    assert not Membership.objects.filter(user=elsewhere, organization=org).exists()
    client = login(elsewhere)
    assert client.post(link, {}).status_code == 302
    assert Membership.objects.filter(
        user=elsewhere, organization=org, role="peer_supporter"
    ).exists()


def test_admin_changes_roles_and_deactivates(org, org_admin):
    peer = make_staff(org, StaffRole.PEER_SUPPORTER, "peer")
    client = login(org_admin)
    client.post(f"/staff/o/{org.slug}/staff/{peer.pk}/", {"roles": ["counselor"]})
    assert set(Membership.objects.filter(user=peer).values_list("role", flat=True)) == {"counselor"}
    assert client.post(f"/staff/o/{org.slug}/staff/{peer.pk}/deactivate/").status_code == 302
    peer.refresh_from_db()
    assert not peer.is_active and not Membership.objects.filter(user=peer).exists()
    assert not Client().login(username="peer", password=PASSWORD)
    actions = list(
        AuditLog.objects.filter(organization=org, target_id=str(peer.pk)).values_list(
            "action", flat=True
        )
    )
    assert (
        "staff.role_removed" in actions
        and "staff.deactivated" in actions
        and "staff.role_granted" in actions
    )


@pytest.mark.parametrize("actor", ["anonymous", "counselor", "outsider"])
def test_only_admins_reach_the_staff_console(org, counselor, outsider, actor):
    client = {"anonymous": Client(), "counselor": login(counselor), "outsider": login(outsider)}[
        actor
    ]
    for url in (f"/staff/o/{org.slug}/staff/", f"/staff/o/{org.slug}/staff/{counselor.pk}/"):
        response = client.get(url)
        assert response.status_code == (302 if actor == "anonymous" else 404)
    response = client.post(
        f"/staff/o/{org.slug}/staff/", {"email": "me@example.org", "roles": ["org_admin"]}
    )
    assert response.status_code in (302, 404) and not Invitation.objects.exists()


def test_an_admin_cannot_reach_another_organizations_people(org, org_admin, outsider):
    assert login(org_admin).get(f"/staff/o/{org.slug}/staff/{outsider.pk}/").status_code == 404
    assert (
        login(org_admin).post(f"/staff/o/{org.slug}/staff/{outsider.pk}/deactivate/").status_code
        == 404
    )
    outsider.refresh_from_db()
    assert outsider.is_active


def test_console_forms_refuse_bad_input_with_a_clear_4xx(org, org_admin):
    client = login(org_admin)
    response = client.post(
        f"/staff/o/{org.slug}/staff/", {"email": "not-an-email", "roles": ["wizard"]}
    )
    assert response.status_code == 400 and "valid email" in response.content.decode()
    assert client.get(f"/staff/o/{org.slug}/invitations/999/launch/").status_code == 405
    assert client.post(f"/staff/o/{org.slug}/invitations/999/launch/").status_code == 404


def test_console_posts_need_csrf(org, org_admin):
    client = Client(enforce_csrf_checks=True)
    client.login(username=org_admin.username, password=PASSWORD)
    response = client.post(
        f"/staff/o/{org.slug}/staff/", {"email": "a@example.org", "roles": ["counselor"]}
    )
    assert response.status_code == 403 and not Invitation.objects.exists()


# --- Role grants are controlled ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["counselor", "peer_supporter", "peer_lead"])
def test_nobody_grants_themselves_a_role_that_reads_or_routes_worker_content(
    org, org_admin, role, mailoutbox
):
    second = make_staff(org, StaffRole.ORG_ADMIN, "second")
    second.email = "second@example.org"
    second.save()
    client = login(org_admin)
    # Through the roles page...
    client.post(f"/staff/o/{org.slug}/staff/{org_admin.pk}/", {"roles": ["org_admin", role]})
    # ...and by inviting their own address.
    org_admin.email = "owner@example.org"
    org_admin.save()
    client.post(f"/staff/o/{org.slug}/staff/", {"email": "owner@example.org", "roles": [role]})
    link = invite_link()
    client.post(link, {})
    assert role not in set(Membership.objects.filter(user=org_admin).values_list("role", flat=True))
    from respite.core.staff import roles_in

    assert role not in roles_in(org_admin, org)
    grant = RoleGrantRequest.objects.get(user=org_admin, role=role)
    # The requester cannot approve their own request either.
    client.post(f"/staff/o/{org.slug}/role-requests/{grant.pk}/", {"decision": "approve"})
    assert role not in roles_in(org_admin, org)
    run_tasks()
    assert any(
        "asked for the role" in m.body and m.to == ["second@example.org"] for m in mailoutbox
    )
    # A second admin approves.
    login(second).post(f"/staff/o/{org.slug}/role-requests/{grant.pk}/", {"decision": "approve"})
    assert role in roles_in(org_admin, org)
    assert AuditLog.objects.filter(action="staff.role_approved", actor=second).exists()


def test_role_grants_are_announced_to_the_organizations_admins(org, org_admin, mailoutbox):
    org_admin.email = "owner@example.org"
    org_admin.save()
    peer = make_staff(org, StaffRole.PEER_SUPPORTER, "peer")
    login(org_admin).post(
        f"/staff/o/{org.slug}/staff/{peer.pk}/", {"roles": ["peer_supporter", "counselor"]}
    )
    run_tasks()
    notice = [m for m in mailoutbox if m.to == ["owner@example.org"]]
    assert notice and "peer now holds the role Counselor" in notice[-1].body


def test_the_last_admin_cannot_be_removed(org, org_admin, platform_admin):
    response = login(platform_admin).post(
        f"/staff/o/{org.slug}/staff/{org_admin.pk}/", {"roles": []}
    )
    assert response.status_code == 400 and "at least one admin" in response.content.decode()
    assert Membership.objects.filter(user=org_admin, role="org_admin").exists()


def test_django_admin_is_404_with_production_settings(settings, platform_admin):
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    settings.RESPITE_DJANGO_ADMIN = False
    assert Client().get("/admin/login/").status_code == 404
    assert login(platform_admin).get("/admin/").status_code == 404
    settings.RESPITE_DJANGO_ADMIN = True
    # On, it asks for its own two-factor sign-in (core/tests/test_two_factor.py).
    response = login(platform_admin).get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_django_admin_default_follows_the_environment():
    import subprocess
    import sys

    code = "import django,os;django.setup();from django.conf import settings;print(settings.RESPITE_DJANGO_ADMIN)"
    env = {
        **__import__("os").environ,
        "DJANGO_SETTINGS_MODULE": "respite.settings",
        "RESPITE_ENV": "production",
        # Fresh keys: production refuses the development ones (core/tests/test_production_keys.py).
        "SECRET_KEY": __import__("secrets").token_urlsafe(50),
        "RESPITE_ENCRYPTION_KEY": __import__("cryptography.fernet")
        .fernet.Fernet.generate_key()
        .decode(),
    }
    env.pop("RESPITE_DJANGO_ADMIN", None)
    assert (
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
    env["RESPITE_DJANGO_ADMIN"] = "on"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        == "True"
    )


def test_django_admin_sign_in_is_throttled_when_enabled(settings, platform_admin):
    settings.RESPITE_DJANGO_ADMIN = True
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": platform_admin.username, "password": "wrong"})
    response = client.post(
        "/admin/login/", {"username": platform_admin.username, "password": PASSWORD}
    )
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- Platform console -----------------------------------------------------------------------------------


def test_platform_admin_creates_an_organization_and_invites_its_admin(platform_admin, mailoutbox):
    client = login(platform_admin)
    response = client.post(
        "/staff/organizations/",
        {
            "slug": "sunrise",
            "name": "Sunrise Clinic",
            "welcome": "",
            "accent_color": "#1d5c63",
            "state": "ca",
            "role_groups": ["nurse", "other"],
            "time_zone": "America/Los_Angeles",
            "min_group_size": 5,
            "admin_email": "boss@sunrise.example",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(slug="sunrise")
    assert (
        org.time_zone == "America/Los_Angeles"
        and org.role_groups == ["nurse", "other"]
        and org.state == "CA"
    )
    link = invite_link()
    assert mailoutbox[-1].to == ["boss@sunrise.example"]
    boss = Client()
    boss.post(
        link,
        {"password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"},
    )
    assert boss.get("/staff/o/sunrise/staff/").status_code == 200
    assert AuditLog.objects.filter(
        action="organization.created", organization=org, actor=platform_admin
    ).exists()


def test_platform_console_is_for_platform_admins_only(org_admin):
    assert login(org_admin).get("/staff/organizations/").status_code == 404
    response = login(org_admin).post(
        "/staff/organizations/", {"slug": "x", "name": "X", "admin_email": "a@b.c"}
    )
    assert response.status_code == 404 and not Organization.objects.filter(slug="x").exists()


def test_platform_console_rejects_a_taken_slug(org, platform_admin):
    response = login(platform_admin).post(
        "/staff/organizations/",
        {
            "slug": org.slug,
            "name": "Copy",
            "accent_color": "#1d5c63",
            "time_zone": "UTC",
            "min_group_size": 5,
            "admin_email": "a@example.org",
        },
    )
    assert response.status_code == 400 and not Invitation.objects.exists()


# --- Volunteer therapists ---------------------------------------------------------------------------------


def test_a_volunteer_therapist_applies_and_an_admin_approves(org, org_admin, mailoutbox):
    response = Client().post(
        f"/staff/o/{org.slug}/volunteer/apply/",
        {"display_name": "Dr. Rivera", "email": "rivera@example.org"},
    )
    assert response.status_code == 200
    application = Invitation.objects.get(is_application=True)
    assert application.status == "applied"
    client = login(org_admin)
    assert "Dr. Rivera" in client.get(f"/staff/o/{org.slug}/staff/").content.decode()
    client.post(f"/staff/o/{org.slug}/invitations/{application.pk}/approve/")
    link = invite_link()
    assert mailoutbox[-1].to == ["rivera@example.org"]
    therapist = Client()
    therapist.post(
        link,
        {"password1": "a long enough passphrase 42", "password2": "a long enough passphrase 42"},
    )
    assert Membership.objects.filter(role="volunteer_therapist", organization=org).exists()
    assert "/staff/volunteers/profile/" in nav_links(therapist)
    assert therapist.post("/staff/volunteers/profile/", VOLUNTEER_PROFILE).status_code == 302
    assert Clinician.objects.filter(user__username="rivera@example.org").exists()


def test_nobody_signs_themselves_up_as_a_volunteer_therapist(org, counselor):
    """The volunteer profile is for people an admin invited or approved as volunteer therapists: a
    counselor (or anyone signed in) posting the form directly gets a 404 and no profile."""
    client = login(counselor)
    assert client.get("/staff/volunteers/profile/").status_code == 404
    assert client.post("/staff/volunteers/profile/", VOLUNTEER_PROFILE).status_code == 404
    assert not Clinician.objects.exists()


# --- Sign-ins, profile, passwords -----------------------------------------------------------------------


def test_sign_ins_and_failures_are_in_the_organizations_audit_log(org, counselor):
    Client().post("/staff/login/", {"username": "counselor", "password": "wrong"})
    Client().post("/staff/login/", {"username": "counselor", "password": PASSWORD})
    Client().post("/staff/login/", {"username": "correct horse battery", "password": "x"})
    actions = list(AuditLog.objects.filter(organization=org).values_list("action", "actor_label"))
    assert ("auth.sign_in_failed", "counselor") in actions and (
        "auth.signed_in",
        "counselor",
    ) in actions
    assert not AuditLog.objects.filter(actor_label__icontains="horse").exists()


def test_staff_profile_sets_email_language_time_zone_and_frequency(org, counselor):
    client = login(counselor)
    response = client.post(
        "/staff/profile/",
        {
            "email": "C@Example.org",
            "language": "es",
            "time_zone": "America/Los_Angeles",
            "frequency": "digest",
        },
    )
    assert response.status_code == 302
    counselor.refresh_from_db()
    profile = counselor.staff_profile
    assert (
        counselor.email == "c@example.org"
        and profile.language == "es"
        and profile.frequency == "digest"
    )
    assert "Tu perfil" in client.get("/staff/profile/").content.decode()
    bad = client.post(
        "/staff/profile/",
        {"email": "x", "language": "xx", "time_zone": "Mars/Base", "frequency": "hourly"},
    )
    assert bad.status_code == 400


def test_password_change_and_reset_by_queued_email(org, counselor, mailoutbox):
    counselor.email = "c@example.org"
    counselor.save()
    client = login(counselor)
    response = client.post(
        "/staff/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 7",
            "new_password2": "another long passphrase 7",
        },
    )
    assert response.status_code == 302
    assert Client().login(username="counselor", password="another long passphrase 7")
    anonymous = Client()
    anonymous.post("/staff/password/reset/", {"email": "c@example.org"})
    anonymous.post("/staff/password/reset/", {"email": "nobody@example.org"})
    assert not mailoutbox
    run_tasks()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["c@example.org"]
    link = re.search(r"http://\S+(/staff/password/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = anonymous.get(link, follow=True)
    anonymous.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a third long passphrase 9",
            "new_password2": "a third long passphrase 9",
        },
    )
    assert Client().login(username="counselor", password="a third long passphrase 9")
    assert AuditLog.objects.filter(action="staff.password_reset").exists()


def test_invitation_email_respects_nothing_but_the_address(org, org_admin, mailoutbox):
    """The token is in the email only: the database keeps a hash."""
    login(org_admin).post(
        f"/staff/o/{org.slug}/staff/", {"email": "x@example.org", "roles": ["counselor"]}
    )
    link = invite_link()
    token = link.rstrip("/").rsplit("/", 1)[-1]
    invitation = Invitation.objects.get()
    assert token not in invitation.digest and len(invitation.digest) == 64


def test_a_deactivated_person_invited_again_is_switched_back_on(org, org_admin, mailoutbox):
    client = login(org_admin)
    client.post(
        f"/staff/o/{org.slug}/staff/", {"email": "back@example.org", "roles": ["counselor"]}
    )
    first = Client()
    first.post(invite_link(), {"password1": PASSPHRASE, "password2": PASSPHRASE})
    person = Membership.objects.get(role="counselor").user
    client.post(f"/staff/o/{org.slug}/staff/{person.pk}/deactivate/")
    person.refresh_from_db()
    assert not person.is_active
    client.post(
        f"/staff/o/{org.slug}/staff/", {"email": "back@example.org", "roles": ["peer_supporter"]}
    )
    again = Client()
    response = again.post(
        invite_link(),
        {"password1": "a brand new passphrase 8", "password2": "a brand new passphrase 8"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (
        person.is_active and Membership.objects.filter(user=person, role="peer_supporter").exists()
    )
    assert not Client().login(username="back@example.org", password=PASSPHRASE)
    assert AuditLog.objects.filter(
        action="staff.account_reactivated", target_id=str(person.pk)
    ).exists()


def test_staff_list_queries_do_not_grow_with_people(org, org_admin, django_assert_max_num_queries):
    for i in range(8):
        make_staff(org, StaffRole.COUNSELOR, f"c{i}")
    client = login(org_admin)
    client.get(f"/staff/o/{org.slug}/staff/")
    with django_assert_max_num_queries(14):
        assert client.get(f"/staff/o/{org.slug}/staff/").status_code == 200
