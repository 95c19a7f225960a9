"""Worker pages, staff curation (access, CSRF, audit log, sanitizing) and the HSDS API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from respite.core.models import AuditLog
from respite.core.roles import StaffRole
from respite.core.testing import PASSWORD, make_staff, page_words
from respite.directory.models import Curation, Service


@pytest.fixture
def admin_client(org_admin):
    c = Client()
    c.login(username="owner", password=PASSWORD)
    return c


def test_search_page_lists_and_filters(client, directory, org):
    url = reverse("directory:search", kwargs={"org": org.slug})
    r = client.get(url)
    assert r.status_code == 200 and "988 Suicide" in r.content.decode()
    r = client.get(url, {"q": "free therapy", "role": "nurse"})
    body = r.content.decode()
    assert "The Emotional PPE Project" in body and "Physician Support Line" not in body
    r = client.get(url, {"q": "anonymous", "role": "physician"})
    assert "Physician Support Line" in r.content.decode()


def test_search_page_shows_crisis_options_for_risk_words(client, directory, org):
    r = client.get(
        reverse("directory:search", kwargs={"org": org.slug}), {"q": "I want to kill myself"}
    )
    assert "Help is available right now" in r.content.decode()


def test_search_page_rejects_bad_filters_without_500(client, directory, org):
    r = client.get(
        reverse("directory:search", kwargs={"org": org.slug}),
        {"state": "California", "role": "pilot"},
    )
    assert r.status_code == 400


def test_search_box_shows_the_query_escaped_and_its_error(client, directory, org):
    url = reverse("directory:search", kwargs={"org": org.slug})
    body = client.get(url, {"q": 'a "b" <c> & it\'s'}).content.decode()
    assert 'name="q" value="a &#34;b&#34; &lt;c&gt; &amp; it&#39;s"' in body
    too_long = client.get(url, {"q": "x" * 301})
    assert too_long.status_code == 400 and 'aria-invalid="true"' in too_long.content.decode()


def test_search_page_wrong_method(client, directory, org):
    assert client.post(reverse("directory:search", kwargs={"org": org.slug})).status_code == 405


def test_detail_page_and_other_portals_local_service(client, demo_directory, riverside, lakeview):
    ok = client.get(
        reverse("directory:service", kwargs={"org": "riverside", "pk": "riverside-eap"})
    )
    assert ok.status_code == 200 and "Employee Assistance" in ok.content.decode()
    assert (
        client.get(
            reverse("directory:service", kwargs={"org": "lakeview", "pk": "riverside-eap"})
        ).status_code
        == 404
    )
    Curation.objects.create(organization=riverside, service_id="988-lifeline", hidden=True)
    assert (
        client.get(
            reverse("directory:service", kwargs={"org": "riverside", "pk": "988-lifeline"})
        ).status_code
        == 404
    )


def test_staff_pages_deny_anonymous_outsiders_and_other_roles(
    client, directory, org, outsider, counselor
):
    url = reverse("directory_staff:curate", kwargs={"org": org.slug})
    assert client.get(url).status_code == 302  # to sign-in
    for username in ("outsider", "counselor"):
        c = Client()
        c.login(username=username, password=PASSWORD)
        assert c.get(url).status_code == 404
        r = c.post(
            reverse(
                "directory_staff:curate_action", kwargs={"org": org.slug, "pk": "988-lifeline"}
            ),
            {"action": "hide"},
        )
        assert r.status_code == 404
    assert not Curation.objects.exists()


def test_hide_and_feature_are_audit_logged_and_take_effect(admin_client, client, directory, org):
    url = reverse("directory_staff:curate_action", kwargs={"org": org.slug, "pk": "battle-within"})
    assert (
        admin_client.get(reverse("directory_staff:curate", kwargs={"org": org.slug})).status_code
        == 200
    )
    assert admin_client.get(url).status_code == 405
    assert admin_client.post(url, {"action": "hide"}).status_code == 302
    assert admin_client.post(url, {"action": "explode"}).status_code == 400
    log = AuditLog.objects.filter(action="directory.service_hide").get()
    assert (
        log.organization == org and log.target_id == "battle-within" and log.actor_label == "owner"
    )
    body = client.get(
        reverse("directory:search", kwargs={"org": org.slug}), {"q": "free therapy grief"}
    ).content
    assert b"The Battle Within" not in body
    admin_client.post(url, {"action": "show"})
    search = reverse("directory:search", kwargs={"org": org.slug})
    body = client.get(search, {"q": "free therapy grief"}).content.decode()
    assert "The Battle Within" in body and "Recommended by your organization" not in body
    admin_client.post(url, {"action": "feature"})
    assert Curation.objects.get(organization=org, service_id="battle-within").featured
    assert AuditLog.objects.filter(action="directory.service_feature").exists()
    # The page keeps cards' HTML per process: the card shown before is not shown again.
    body = client.get(search, {"q": "free therapy grief"}).content.decode()
    assert "Recommended by your organization" in body


def test_curation_post_needs_csrf(org_admin, directory, org):
    c = Client(enforce_csrf_checks=True)
    c.login(username="owner", password=PASSWORD)
    r = c.post(
        reverse("directory_staff:curate_action", kwargs={"org": org.slug, "pk": "battle-within"}),
        {"action": "hide"},
    )
    assert r.status_code == 403


def test_add_local_service_sanitizes_and_logs(admin_client, client, directory, org):
    url = reverse("directory_staff:local_add", kwargs={"org": org.slug})
    payload = {
        "name": "Acme EAP",
        "description": '<p>Call us</p><script>alert("x")</script><a href="javascript:alert(1)">x</a>',
        "cost": "employer_paid",
        "confidentiality": "employer_run",
        "roles": [],
        "audiences": ["worker"],
        "channels": ["phone"],
        "tiers": ["counseling"],
        "languages": ["en"],
        "phone": "555 0100",
        "url": "https://example.org/eap",
    }
    r = admin_client.post(url, payload)
    assert r.status_code == 302
    s = Service.objects.get(name="Acme EAP")
    assert s.portal == org and "<script" not in s.description and "javascript:" not in s.description
    assert AuditLog.objects.filter(action="directory.local_service_added", target_id=s.pk).exists()
    assert (
        "Acme EAP"
        in client.get(
            reverse("directory:search", kwargs={"org": org.slug}), {"q": "EAP"}
        ).content.decode()
    )
    bad = admin_client.post(url, {**payload, "url": "http://insecure.example"})
    assert bad.status_code == 400
    edit = reverse("directory_staff:local_edit", kwargs={"org": org.slug, "pk": s.pk})
    changed = {**payload, "name": "Acme EAP (24/7)", "phone": "555 0199"}
    assert admin_client.post(edit, changed).status_code == 302
    # The card shown before the edit (kept per process) gives way to the edited one.
    body = client.get(reverse("directory:search", kwargs={"org": org.slug}), {"q": "EAP"}).content
    assert "Acme EAP (24/7)" in body.decode() and "Call 555 0199" in body.decode()
    delete = reverse("directory_staff:local_delete", kwargs={"org": org.slug, "pk": s.pk})
    assert admin_client.post(delete).status_code == 302
    assert not Service.objects.filter(pk=s.pk).exists()
    assert AuditLog.objects.filter(action="directory.local_service_deleted").exists()


def test_cannot_edit_a_shared_or_other_orgs_service(admin_client, demo_directory, org):
    for pk in ("988-lifeline", "riverside-eap"):
        assert (
            admin_client.get(
                reverse("directory_staff:local_edit", kwargs={"org": org.slug, "pk": pk})
            ).status_code
            == 404
        )
        assert (
            admin_client.post(
                reverse("directory_staff:local_delete", kwargs={"org": org.slug, "pk": pk})
            ).status_code
            == 404
        )


def test_platform_admin_may_curate(platform_admin, directory, org):
    c = Client()
    c.login(username="platform", password=PASSWORD)
    assert c.get(reverse("directory_staff:curate", kwargs={"org": org.slug})).status_code == 200


def test_peer_supporter_cannot_curate(directory, org):
    make_staff(org, StaffRole.PEER_SUPPORTER, "peer")
    c = Client()
    c.login(username="peer", password=PASSWORD)
    assert c.get(reverse("directory_staff:curate", kwargs={"org": org.slug})).status_code == 404


# --- API -------------------------------------------------------------------------------------------


def test_api_services_paginated_and_filtered(client, directory):
    r = client.get("/api/v1/services", {"per_page": 5, "page": 2})
    data = r.json()
    assert (
        r.status_code == 200
        and data["page_number"] == 2
        and data["size"] == 5
        and not data["first_page"]
    )
    # Outside a portal: the shared catalogue, without the portal's own services.
    shared = Service.objects.filter(portal__isnull=True, portal_service="")
    assert data["total_items"] == shared.count()
    r = client.get("/api/v1/services", {"q": "psychiatrist", "role": "nurse", "per_page": 100})
    assert all(s["x_respite"]["slug"] != "physician-support-line" for s in r.json()["contents"])
    r = client.get("/api/v1/services", {"available_24_7": "true", "per_page": 100})
    ids = {s["x_respite"]["slug"] for s in r.json()["contents"]}
    assert ids == {
        "988-lifeline",
        "crisis-text-line",
        "safe-call-now",
        "211",
        "healthcare-gov",
        "samhsa-helpline",
    }


def test_api_service_detail_is_hsds(client, directory):
    from respite.directory.hsds import schema_errors

    r = client.get("/api/v1/services/988-lifeline")
    assert r.status_code == 200
    assert schema_errors(r.json(), "service", formats=True) == []
    assert r.json()["organization"]["name"] == "988 Suicide & Crisis Lifeline"
    by_uuid = client.get(f"/api/v1/services/{r.json()['id']}")  # the exported UUID finds it too
    assert by_uuid.status_code == 200 and by_uuid.json()["x_respite"]["slug"] == "988-lifeline"
    assert client.get("/api/v1/services/nope").status_code == 404


def test_api_respects_portal_curation(client, demo_directory, riverside):
    Curation.objects.create(organization=riverside, service_id="988-lifeline", hidden=True)
    assert (
        client.get("/api/v1/services/988-lifeline", {"organization": "riverside"}).status_code
        == 404
    )
    from respite.directory.hsds import hsds_id

    hidden_uuid = hsds_id("service", "988-lifeline")
    assert (
        client.get(f"/api/v1/services/{hidden_uuid}", {"organization": "riverside"}).status_code
        == 404
    )
    local_uuid = hsds_id("service", "riverside-eap")
    assert client.get(f"/api/v1/services/{local_uuid}").status_code == 404
    ids = {
        s["x_respite"]["slug"]
        for s in client.get(
            "/api/v1/services", {"organization": "riverside", "per_page": 100}
        ).json()["contents"]
    }
    assert "riverside-eap" in ids and "988-lifeline" not in ids and "lakeview-eap" not in ids
    assert (
        client.get("/api/v1/services/riverside-eap").status_code == 404
    )  # local: only with its portal


def test_api_organizations(client, directory):
    data = client.get("/api/v1/organizations", {"per_page": 100}).json()
    assert data["total_items"] >= 20 and all("description" in o for o in data["contents"])


@pytest.mark.parametrize(
    "params",
    [
        {"role": "pilot"},
        {"per_page": 1000},
        {"page": 0},
        {"state": "Texas"},
        {"organization": "../x"},
    ],
)
def test_api_bad_input_is_422(client, directory, params):
    r = client.get("/api/v1/services", params)
    assert r.status_code == 422 and "detail" in r.json()


def test_api_unknown_portal_is_404(client, directory):
    assert client.get("/api/v1/services", {"organization": "nowhere"}).status_code == 404


# --- the search page on a phone: what a worker reads -------------------------------------------


def test_no_good_match_offers_a_person_in_both_languages(client, riverside, demo_directory):
    for lang, phrase, peer in (
        ("en", "No service matches your search well.", "Talk with a peer"),
        ("es", "Ningún servicio coincide bien con su búsqueda.", "Hablar con un compañero"),
    ):
        client.cookies["django_language"] = lang
        body = client.get("/o/riverside/directory/", {"q": "lasagna recipe"}).content.decode()
        assert phrase in body and peer in body
        assert 'href="/o/riverside/peer-support/"' in body and 'href="tel:988"' in body
    body = client.get("/o/riverside/directory/", {"q": "food pantry"}).content.decode()
    assert "dir-nomatch" not in body


def test_hours_read_like_a_person_wrote_them_and_dates_name_an_organization(
    client, riverside, demo_directory, admin_user
):
    from datetime import date

    from respite.directory.models import Schedule

    line = Service.objects.get(pk="physician-support-line")
    client.cookies["django_language"] = "en"
    body = client.get("/o/riverside/directory/", {"q": "psychiatrist", "role": "physician"})
    text = body.content.decode()
    assert "Every day, 8am–1am (Eastern time)" in text
    assert "MO,TU" not in text and "UTC" not in page_words(text)
    assert "not yet verified by a person" in text
    client.cookies["django_language"] = "es"
    text = client.get(f"/o/riverside/directory/s/{line.pk}/").content.decode()
    assert "Todos los días, 8:00–1:00 (hora del Este)" in text
    pantry = Service.objects.get(pk="riverside-food-pantry")
    pantry.assured_date, pantry.assured_by = date(2026, 11, 2), "jdoe-admin"
    pantry.save()
    Schedule.objects.filter(service=pantry).update(byday="MO,TU,WE,TH,FR")
    client.cookies["django_language"] = "en"
    text = client.get("/o/riverside/directory/", {"q": "food pantry"}).content.decode()
    assert "Last verified Nov. 2, 2026 by Riverside Community Health" in text
    assert "jdoe-admin" not in text
    assert "Monday to Friday" in text


def test_filters_stay_folded_after_a_search_and_narrow(client, riverside, demo_directory):
    body = client.get(
        "/o/riverside/directory/", {"q": "", "role": "environmental_services"}
    ).content.decode()
    assert '<details class="dir-filters">' in body  # folded: results come first
    assert "Filters (1)" in body
    assert "AMA STEPS Forward" not in body  # a leader toolkit


def test_service_page_shows_imported_facts_as_given(client, db, org):
    """A worker sees the costs in the source's own currency, ages, wait time, address, access and
    contact of an imported HSDS service, found by the UUID the file gives it."""
    import json

    from respite.directory.hsds import EXAMPLES_DIR, import_data

    service = json.loads((EXAMPLES_DIR / "service_full.json").read_text(encoding="utf-8"))
    organization = json.loads((EXAMPLES_DIR / "organization_full.json").read_text(encoding="utf-8"))
    assert import_data({"organizations": [organization], "services": [service]}).errors == []
    url = reverse("directory:service", kwargs={"org": org.slug, "pk": service["id"]})
    body = client.get(url).content.decode()
    assert "Under 18s and Over 60s: 35 GBP per 1 hour session" in body
    assert "USD" not in page_words(body) and "$" not in body
    assert "Ages 12 to 100" in body
    assert "1-30 Main Street" in body and "induction loops" in body
    assert "Ann Persona" in body and "Urdu" in body
    assert "moved most of our counselling sessions online" in body  # the service's own alert
    es = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Edades 12 a 100" in es


def test_service_page_answers_the_exported_uuid_of_a_slug(client, directory, org):
    from respite.directory.hsds import hsds_id

    by_slug = reverse("directory:service", kwargs={"org": org.slug, "pk": "988-lifeline"})
    by_uuid = reverse(
        "directory:service", kwargs={"org": org.slug, "pk": hsds_id("service", "988-lifeline")}
    )
    assert client.get(by_slug).status_code == 200
    assert "988 Suicide" in client.get(by_uuid).content.decode()
    missing = reverse(
        "directory:service", kwargs={"org": org.slug, "pk": hsds_id("service", "no-such")}
    )
    assert client.get(missing).status_code == 404


def test_the_portals_own_services_are_entries_that_lead_to_the_portals_pages(
    client, staffed_riverside, lakeview
):
    search_url = reverse("directory:search", kwargs={"org": "riverside"})
    body = client.get(search_url, {"q": "peer support"}).content.decode()
    peers = reverse("peers:index", kwargs={"org": "riverside"})
    first_card = body.split('class="dir-card')[1]
    assert "Talk with a trained peer supporter" in first_card and f'href="{peers}"' in first_card
    es = client.get(search_url, {"q": "apoyo de compañeros"}, HTTP_ACCEPT_LANGUAGE="es")
    assert "Habla con un compañero de apoyo" in es.content.decode().split('class="dir-card')[1]
    page = reverse("directory:service", kwargs={"org": "riverside", "pk": "portal-peer-support"})
    assert client.get(page).status_code == 200
    # Lakeview has nobody on a peer roster: no entry, and its page does not exist there.
    lakeview_page = reverse(
        "directory:service", kwargs={"org": "lakeview", "pk": "portal-peer-support"}
    )
    assert client.get(lakeview_page).status_code == 404
    body = client.get(
        reverse("directory:search", kwargs={"org": "lakeview"}), {"q": "peer support"}
    ).content.decode()
    assert "Talk with a trained peer supporter" not in body


def test_api_gives_the_portals_own_services_only_where_they_exist(client, staffed_riverside):
    from respite.directory.hsds import hsds_id

    peer = hsds_id("service", "portal-peer-support")
    assert client.get(f"/api/v1/services/{peer}", {"organization": "riverside"}).status_code == 200
    assert client.get(f"/api/v1/services/{peer}").status_code == 404
    assert client.get(f"/api/v1/services/{peer}", {"organization": "lakeview"}).status_code == 404


def test_a_search_page_costs_a_few_queries_however_many_cards(
    client, riverside, demo_directory, django_assert_max_num_queries
):
    """The directory's fingerprint with the portal's curation, then the services, phones and hours
    of the cards the process has not rendered yet: never a query per card. SQLite's FTS5 is asked
    once per new word (its postings are kept beside the ranking index); PostgreSQL ranks among the
    eligible, one query a search."""
    full_text = 1 if connection.vendor == "postgresql" else 0
    url = reverse("directory:search", kwargs={"org": riverside.slug})
    client.get(url, {"q": "free counseling"})  # builds the ranking index, ranks these two words
    with django_assert_max_num_queries(1 + full_text):  # the same ten cards, already rendered
        r = client.get(url, {"q": "counseling free"})
    assert r.content.decode().count('<article class="dir-card') == 10
    with django_assert_max_num_queries(5):  # ten new cards; one more for the word "therapy"
        r = client.get(url, {"q": "free therapy", "page": 2})
    assert r.content.decode().count('<article class="dir-card') == 10


def test_api_filters_services_by_organization_slug_or_exported_uuid(client, directory):
    from respite.directory.hsds import hsds_id

    lifeline = Service.objects.get(pk="988-lifeline").provider_id
    expected = set(
        Service.objects.filter(provider_id=lifeline, portal__isnull=True).values_list(
            "id", flat=True
        )
    )
    for key in (lifeline, hsds_id("organization", lifeline)):
        r = client.get("/api/v1/services", {"organization_id": key, "per_page": 100})
        assert {s["x_respite"]["slug"] for s in r.json()["contents"]} == expected
    r = client.get("/api/v1/services", {"organization_id": hsds_id("organization", "nobody")})
    assert r.status_code == 200 and r.json()["contents"] == []  # HSDS: an empty page


def test_api_unknown_taxonomy_or_service_at_location_is_404(client, directory):
    taxonomy = client.get("/api/v1/taxonomies").json()["contents"][0]
    assert client.get(f"/api/v1/taxonomies/{taxonomy['id']}").json() == taxonomy
    assert client.get("/api/v1/taxonomies/nope").status_code == 404
    assert client.get("/api/v1/service_at_locations/nope").status_code == 404
