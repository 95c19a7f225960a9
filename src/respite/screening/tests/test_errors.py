"""Every error status a worker can meet renders the branded page in their language, with the crisis
bar, a phone viewport and a way home (one test per status and language)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HEADINGS = {
    400: {"en": "Something in the request was wrong", "es": "Algo en la solicitud no era correcto"},
    403: {"en": "This page is not open to you", "es": "Esta página no está abierta para usted"},
    404: {"en": "We could not find that page", "es": "No pudimos encontrar esa página"},
    405: {
        "en": "This page cannot be opened that way",
        "es": "Esta página no se puede abrir de esa manera",
    },
    500: {"en": "Something went wrong on our side", "es": "Algo salió mal de nuestro lado"},
    "csrf": {"en": "Your form expired", "es": "Su formulario caducó"},
}
CRISIS_BAR = {
    "en": "Need help now? Call or text 988",
    "es": "¿Necesita ayuda ahora? Llame o envíe un mensaje de texto al 988",
}


def _request(status, org, client: Client, lang: str):
    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": lang}
    o = f"/o/{org.slug}"
    if status == 400:  # more query fields than Django accepts: SuspiciousOperation
        return client.get(
            f"{o}/counseling/therapists/?" + "&".join(f"f{i}=1" for i in range(1200)), **headers
        )
    if status == 403:
        return client.get(f"{o}/test-forbidden/", **headers)
    if status == 404:
        return client.get(f"{o}/results/00000000-0000-0000-0000-000000000000/", **headers)
    if status == 405:
        return client.get(f"{o}/my/sign-out/", **headers)
    if status == 500:
        return client.get(f"{o}/test-broken/", **headers)
    strict = Client(enforce_csrf_checks=True)  # a lost CSRF cookie
    return strict.post(
        f"{o}/my/safety-plan/edit/",
        {"coping": "x"},
        HTTP_REFERER=f"http://testserver{o}/my/safety-plan/edit/",
        **headers,
    )


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("status", [400, 403, 404, 405, 500, "csrf"])
def test_branded_error_page(settings, org, status, lang):
    settings.ROOT_URLCONF = "respite.screening.tests.error_urls"
    client = Client(raise_request_exception=False)
    response = _request(status, org, client, lang)
    assert response.status_code == (403 if status == "csrf" else status)
    body = response.content.decode()
    assert f'<html lang="{lang}">' in body
    assert HEADINGS[status][lang] in body
    assert CRISIS_BAR[lang] in body and 'href="/crisis/"' in body
    assert 'name="viewport"' in body
    if status == 500:
        assert 'href="/"' in body  # no organization context on a server error: the site's home
    else:
        assert f'href="/o/{org.slug}/"' in body  # home: the worker's own portal
    if status == "csrf":
        assert f'href="http://testserver/o/{org.slug}/my/safety-plan/edit/"' in body  # retry
    assert "boom" not in body


def test_unknown_portal_404_offers_the_site_home(client):
    body = client.get("/o/nope/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "No pudimos encontrar esa página" in body and 'href="/"' in body


def test_csrf_retry_link_never_points_to_another_site(org):
    strict = Client(enforce_csrf_checks=True)
    body = strict.post(
        f"/o/{org.slug}/my/sign-out/", HTTP_REFERER="https://evil.example/phish"
    ).content.decode()
    assert "evil.example" not in body


def test_api_405_keeps_its_problem_shape(client):
    response = client.delete("/api/v1/instruments")
    assert response.status_code in (404, 405) and "error-page" not in response.content.decode()
