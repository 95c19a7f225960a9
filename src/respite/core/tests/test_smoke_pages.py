import pytest


@pytest.mark.django_db
def test_portal_pages_render_with_csp_and_no_store(client, org):
    for url in [
        "/",
        "/crisis/",
        f"/o/{org.slug}/",
        f"/o/{org.slug}/check-in/",
        f"/o/{org.slug}/my/",
        f"/o/{org.slug}/screenings/",
        f"/o/{org.slug}/screenings/phq9/",
        "/staff/login/",
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "no-store" in response.headers["Cache-Control"], url
