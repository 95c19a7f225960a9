"""Social composer: heavy themes need a resource bridge; counts per network; the composer page."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from respite.community import social, toolkit

NETWORKS = {n["id"]: n for n in toolkit.social_data()["networks"]}


@pytest.mark.parametrize(
    "text, theme",
    [
        ("That suicide storyline in #ThePitt hit hard", "suicide"),
        ("So much burnout after that episode", "burnout"),
        ("Watching them lose a patient on screen", "patient-death"),
        ("The overdose scene was brutal", "overdose"),
        ("Violence against nurses is real", "violence"),
        ("Self-harm is not talked about enough", "self-harm"),
        ("El agotamiento de los médicos en #ThePitt", "burnout"),
        ("La muerte de un paciente nunca es fácil", "patient-death"),
    ],
)
def test_heavy_themes_detected_in_english_and_spanish(text, theme):
    assert theme in [t["id"] for t in social.heavy_themes(text)]


def test_light_posts_have_no_theme():
    assert social.heavy_themes("Healers need healing, too. Thank you, nurses!") == []
    assert social.heavy_themes("A burnt toast and a good laugh") == []


@pytest.mark.parametrize(
    "text, ok",
    [
        ("Burnout is everywhere.", False),
        ("Burnout is everywhere. Call or text 988.", True),
        ("Burnout is everywhere. Text SCRUBS to 741741.", True),
        ("Burnout is everywhere. bit.ly/ALLINforMentalHealth", True),
        ("Burnout is everywhere. https://988lifeline.org/chat/", True),
        ("Burnout is everywhere. https://www.youtube.com/watch?v=x", False),
        ("Burnout after 19880 steps", False),
    ],
)
def test_missing_resource_warning(text, ok):
    assert social.check(text).missing_resource is (not ok)


def test_chosen_directory_link_counts_as_resource():
    text = "Burnout is real. https://help.example.org/peers"
    assert social.check(text).missing_resource
    assert not social.check(text, extra_urls=["https://help.example.org/peers"]).missing_resource


def test_toolkit_suggested_posts_never_warn():
    for lang in ("en", "es"):
        for post in toolkit.social(lang)["posts"]:
            assert not social.check(post["text"]).missing_resource


def test_compose_adds_link_and_hashtags_once():
    res = {"name": "988 Lifeline", "url": "https://988lifeline.org"}
    text = social.compose("Burnout is real", resource=res, hashtags=["#ThePitt", "#WellbeingFirst"])
    assert (
        text
        == "Burnout is real\n\n988 Lifeline: https://988lifeline.org\n\n#ThePitt #WellbeingFirst"
    )
    assert social.compose(text, resource=res, hashtags=["#ThePitt", "#WellbeingFirst"]) == text
    assert social.compose("Watching #ThePitt", hashtags=["#ThePitt"]) == "Watching #ThePitt"


def test_counts_per_network():
    x, bsky = NETWORKS["x"], NETWORKS["bluesky"]
    url = "https://example.org/" + "a" * 80
    assert social.count(f"hi {url}", x) == 3 + 23
    assert social.count(f"hi {url}", bsky) == 3 + len(url)
    assert social.count("bit.ly/ALLINforMentalHealth", x) == 23
    assert social.count("❤️", x) == 2 and social.count("❤️", bsky) == 1
    assert social.count("👩🏽‍⚕️", bsky) == 1 and social.count("👩🏽‍⚕️", x) == 2
    assert social.count("ñandú", bsky) == 5


def test_check_reports_over_limit():
    result = social.check("a" * 290)
    x = next(c for c in result.counts if c["id"] == "x")
    assert x["over"] and x["over_by"] == 10
    assert not next(c for c in result.counts if c["id"] == "bluesky")["over"]
    assert [c["limit"] for c in result.counts] == [280, 300, 500, 3000, 63206]


@given(st.text(max_size=400))
@settings(max_examples=100, deadline=None)
def test_x_count_never_below_graphemes_minus_urls(text):
    x = social.count(text, NETWORKS["x"])
    assert x >= 0
    if not social.find_urls(text):
        assert x >= social.count(text, NETWORKS["bluesky"])


@given(st.text(max_size=200), st.sampled_from(["#ThePitt", "#WellbeingFirst"]))
@settings(max_examples=100, deadline=None)
def test_compose_is_idempotent(text, tag):
    res = {"name": "ALL IN", "url": "https://bit.ly/ALLINforMentalHealth"}
    once = social.compose(text, resource=res, hashtags=[tag])
    assert social.compose(once, resource=res, hashtags=[tag]) == once
    assert not social.check(once).missing_resource


@pytest.mark.django_db
def test_composer_page_warns_and_counts(client, org):
    url = f"/o/{org.slug}/community/social/"
    page = client.get(url + "?start=marathon").content.decode()
    assert "marathon for the heart and mind" in page
    response = client.post(
        url,
        {
            "text": "That suicide scene in #ThePitt broke me",
            "resource": "",
            "hashtags": ["#ALLINforMentalHealth"],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Add a resource to this post." in page
    assert "It mentions a heavy theme (suicide) without a link" in page
    assert "#ALLINforMentalHealth" in page and "X (Twitter)" in page
    response = client.post(
        url, {"text": "That suicide scene in #ThePitt broke me", "resource": "988"}
    )
    page = response.content.decode()
    assert "Add a resource to this post." not in page and "https://988lifeline.org" in page


@pytest.mark.django_db
def test_composer_htmx_returns_partial_and_bad_input_is_400(client, org):
    url = f"/o/{org.slug}/community/social/"
    response = client.post(url, {"text": "Burnout", "resource": ""}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<section id="result"')
    assert "<html" not in page and "Add a resource" in page
    assert client.post(url, {"text": "x", "resource": "nope"}).status_code == 400
    assert client.post(url, {"text": "x", "hashtags": ["#Spam"]}).status_code == 400


@pytest.mark.django_db
def test_composer_in_spanish(client, org):
    client.cookies["django_language"] = "es"
    page = client.post(
        f"/o/{org.slug}/community/social/", {"text": "Tanto agotamiento"}
    ).content.decode()
    assert "agotamiento" in page and "Añada un recurso" in page
