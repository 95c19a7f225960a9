"""Facilitator packet and note cards: content for the audience, paper size, directory fallback."""

from __future__ import annotations

import io

import pytest
from django.template.loader import get_template
from pypdf import PdfReader

from respite.community import actions
from respite.community.tests.helpers import make_event, manage_url, open_manage
from respite.core.testing import assert_tagged_pdf

pytestmark = pytest.mark.django_db


def _pdf(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert_tagged_pdf(response.content, response.get("Content-Language", "en"))
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


@pytest.fixture
def no_directory(monkeypatch):
    """A directory app without recommend(): importing it fails (ImportError path)."""
    import respite.directory.search as search

    get_template("base.html")  # other apps' template tags import recommend(): load them first
    monkeypatch.delattr(search, "recommend")


def _fake_directory(monkeypatch, rows):
    import respite.directory.search as search

    calls = []

    def recommend(**kwargs):
        calls.append(kwargs)
        return rows

    monkeypatch.setattr(search, "recommend", recommend)
    return calls


def test_packet_for_health_workers_uses_toolkit_lists_without_directory(client, org, no_directory):
    event, token = make_event(org, audience="workers", title="ER watch night")
    open_manage(client, event, token)
    reader, text = _pdf(client.get(manage_url(event, token, "packet.pdf")))
    assert len(reader.pages) >= 4
    assert "ER watch night" in text
    assert "How are you feeling after watching the show?" in text
    assert "How might we commit to checking in on one another?" in text
    assert (
        "How might we commit to supporting our health workers?" not in text
    )  # not for this audience
    assert "Maintain balance" not in text  # mixed-audience tip only
    assert "From discussion to action" in text
    assert "988 Suicide & Crisis Lifeline" in text and "Crisis Text Line" in text
    assert "Schwartz Rounds" in text  # organization lists
    assert "Resources for you in" not in text


def test_packet_for_mixed_audience_labels_questions_and_adds_balance_tip(client, org, no_directory):
    event, token = make_event(
        org, audience="mixed", format="virtual", place="", link="https://meet.example.org/x"
    )
    open_manage(client, event, token)
    _reader, text = _pdf(client.get(manage_url(event, token, "packet.pdf")))
    assert "For health workers: How might we commit to checking in on one another?" in text
    assert "For non-health workers: How might we commit to supporting our health workers?" in text
    assert "Maintain balance" in text
    assert "break-out rooms" in text  # virtual format tip


def test_packet_lists_directory_resources_for_event_state(client, org, monkeypatch):
    calls = _fake_directory(
        monkeypatch,
        [
            {
                "id": 7,
                "name": "Riverside Peer Line",
                "description": "Peers who listen, 24/7",
                "url": "https://peer.example.org",
                "phone": "555-0100",
            },
            {
                "id": 8,
                "name": "Unsafe link",
                "description": "",
                "url": "javascript:alert(1)",
                "phone": "",
            },
        ],
    )
    event, token = make_event(org, audience="workers", state="CA")
    open_manage(client, event, token)
    _reader, text = _pdf(client.get(manage_url(event, token, "packet.pdf")))
    assert "Resources for you in CA" in text
    assert "Riverside Peer Line" in text and "https://peer.example.org" in text
    assert "javascript:" not in text
    assert (
        calls[0]["state"] == "CA"
        and calls[0]["organization"] == org
        and calls[0]["audience"] == "worker"
    )


def test_family_audience_asks_directory_for_family_resources(client, org, monkeypatch):
    calls = _fake_directory(monkeypatch, [])
    event, token = make_event(org, audience="others")
    open_manage(client, event, token)
    _reader, text = _pdf(client.get(manage_url(event, token, "packet.pdf")))
    assert calls[0]["audience"] == "family"
    assert "Crisis Text Line" in text  # nothing found: the toolkit lists still print


def test_directory_with_other_interface_falls_back(monkeypatch, org):
    _fake_directory(monkeypatch, [])
    import respite.directory.search as search

    monkeypatch.setattr(
        search, "recommend", lambda organization=None: []
    )  # old signature: TypeError path
    assert actions.directory_recommendations(organization=org) is None
    result = actions.to_action("workers", organization=org, state="CA", language="en")
    assert result["source"] == "toolkit" and result["worker_groups"]


def test_real_directory_is_called_when_present(org):
    rows = actions.directory_recommendations(organization=org, state="CA")
    assert isinstance(
        rows, list
    )  # the directory app's recommend() answered (possibly with no rows)


def test_packet_in_spanish(client, org, no_directory):
    event, token = make_event(org, audience="others")
    open_manage(client, event, token)
    client.cookies["django_language"] = "es"
    _reader, text = _pdf(client.get(manage_url(event, token, "packet.pdf")))
    assert "¿Cómo se siente después de ver la serie?" in text
    assert "De la conversación a la acción" in text


def test_packet_needs_the_token(client, org, other_org):
    event, token = make_event(org)
    assert open_manage(client, event, "z" * 43).status_code == 404
    assert client.get(manage_url(event, suffix="packet.pdf")).status_code == 302  # to the form
    assert (
        client.post(f"/o/{other_org.slug}/community/manage/", {"token": token}).status_code == 404
    )
    assert (
        client.get(f"/o/{other_org.slug}/community/manage/gathering/packet.pdf").status_code == 302
    )


def test_note_cards_are_letter_landscape_with_prompts_and_card_text(client, org):
    event, _ = make_event(org, notes_for="4 West nursing team")
    reader, text = _pdf(client.get(f"/o/{org.slug}/community/cards.pdf?event={event.pk}"))
    assert len(reader.pages) == 3
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (792, 612)
    assert "Writing prompts" in text and "healers need healing, too" in text
    assert (
        "Thank you" in reader.pages[1].extract_text()
        and "4 West nursing team" in reader.pages[1].extract_text()
    )
    assert "You spend your days caring for everyone else" in " ".join(
        reader.pages[2].extract_text().split()
    )


def test_note_cards_bad_event_id_is_404(client, org):
    assert client.get(f"/o/{org.slug}/community/cards.pdf?event=not-a-uuid").status_code == 404
    assert (
        client.get(
            f"/o/{org.slug}/community/cards.pdf?event=00000000-0000-0000-0000-000000000000"
        ).status_code
        == 404
    )
