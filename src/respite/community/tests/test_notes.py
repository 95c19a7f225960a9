"""Gratitude-note wall: sanitizing, refusing patient data, moderation before display."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from respite.community.models import Note, NoteStatus
from respite.community.notesafety import personal_data_problems, sanitize
from respite.community.tests.helpers import make_event, manage_url, open_manage, public_url


@pytest.mark.parametrize(
    "text, code",
    [
        ("Thank you for caring for patient John Smith last week", "patient_name"),
        ("Gracias por cuidar a la paciente María en urgencias", "patient_name"),
        ("You helped my dad in room 12 so much", "room"),
        ("Thanks for saving him, DOB 03/04/1951", "date_of_birth"),
        ("You were there on 3/14/2024 when it mattered", "date"),
        ("His MRN is A1234567, thank you", "record_number"),
        ("Thanks! Call me at (415) 555-0133 any time", "phone"),
        ("Write to me at me@example.org", "email"),
    ],
)
def test_patient_personal_data_is_detected(text, code):
    assert code in [c for c, _m in personal_data_problems(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Thank you for everything you do. We see you, and we are ALL IN for you.",
        "To the Patient Care team: your kindness makes a real difference. In solidarity.",
        "Healers need healing, too. Gracias por su humanidad con cada paciente.",
        "Thank you for 15 hours of care, every single shift.",
    ],
)
def test_ordinary_thank_you_notes_pass(text):
    assert personal_data_problems(text) == []


def test_sanitize_strips_markup_and_scripts():
    assert (
        sanitize('<b>Thank</b> you<script>alert(1)</script> <a href="javascript:x">team</a> & co')
        == "Thank you team & co"
    )
    assert sanitize("a\u202eb\x00c") == "abc"


@given(st.text(max_size=300))
@settings(max_examples=100, deadline=None)
def test_sanitized_text_never_contains_tags(text):
    cleaned = sanitize(text)
    assert not re.search(r"<[a-zA-Z/!?]", cleaned)
    assert sanitize(cleaned) == cleaned


@pytest.mark.parametrize(
    "text", ["&lt;script&gt;alert(1)&lt;/script&gt;hi", "&amp;lt;b&amp;gt;hi", "<<b>script>x"]
)
def test_encoded_markup_is_stripped_too(text):
    assert not re.search(r"<[a-zA-Z/!?]", sanitize(text))


@pytest.mark.django_db
def test_note_with_patient_data_is_refused_with_clear_message(client, org, caplog):
    event, _ = make_event(org)
    with caplog.at_level(logging.DEBUG):
        response = client.post(
            public_url(event, "notes/"),
            {"body": "Thanks for caring for patient John Smith, DOB 1/2/1950"},
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "may contain personal data about a patient" in page
    assert "date of birth" in page
    assert not Note.objects.exists()
    assert "John Smith" not in caplog.text


@pytest.mark.django_db
def test_notes_are_moderated_before_display_and_escaped(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    response = client.post(
        public_url(event, "notes/"),
        {"body": "<b>Thank you</b> <img src=x onerror=alert(1)>night team!", "signed": "Lee"},
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert note.status == NoteStatus.PENDING and note.body == "Thank you night team!"
    assert "night team" not in client.get(public_url(event)).content.decode()
    assert "night team" in client.get(manage_url(event, token)).content.decode()
    client.post(manage_url(event, suffix="notes/"), {"note": note.pk, "action": "approve"})
    page = client.get(public_url(event)).content.decode()
    assert "Thank you night team!" in page and "onerror" not in page
    client.post(manage_url(event, suffix="notes/"), {"note": note.pk, "action": "reject"})
    assert "night team" not in client.get(public_url(event)).content.decode()


@pytest.mark.django_db
def test_moderation_needs_the_right_event_token(client, org):
    event, token = make_event(org)
    open_manage(client, event, token)
    other, other_token = make_event(org)
    note = Note.objects.create(event=event, body="Thank you")
    host_of_other = Client()
    open_manage(host_of_other, other, other_token)
    moderate = manage_url(event, suffix="notes/")
    assert host_of_other.post(moderate, {"note": note.pk, "action": "approve"}).status_code == 404
    assert client.post(moderate, {"note": note.pk, "action": "publish"}).status_code == 404
    assert client.post(moderate, {"note": "not-an-id", "action": "approve"}).status_code == 404
    assert client.get(moderate).status_code == 405
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING
