import pytest

from respite.peers.models import SupportRequest


def _post(client, path, data):
    return client.post(f"/api/v1/peer-support/{path}", data, content_type="application/json")


@pytest.mark.django_db
def test_referral_status_and_rating_through_the_api(client, org, er, icu_supporter):
    response = _post(
        client,
        "requests",
        {
            "organization": org.slug,
            "source": "manager",
            "contact": "555-0100",
            "department": er.pk,
            "event_type": "patient_death",
        },
    )
    assert response.status_code == 201
    code = response.json()["access_code"]
    status = _post(client, "status", {"access_code": code}).json()
    assert status["status"] == "waiting" and status["supporter_message"] is None
    req = SupportRequest.objects.get()
    req.do_accept(icu_supporter)
    req.contacted_at = req.accepted_at
    req.save()
    rating_code = req.do_close()
    assert _post(client, "status", {"access_code": code}).json()["status"] == "contacted"
    assert _post(client, "rate", {"access_code": code, "rating": 5}).status_code == 409
    assert _post(client, "rate", {"access_code": rating_code, "rating": 6}).status_code == 422
    assert _post(client, "rate", {"access_code": rating_code, "rating": 4}).status_code == 200
    assert _post(client, "rate", {"access_code": rating_code, "rating": 4}).status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload,fragment",
    [
        ({"source": "manager", "contact": "555", "event_type": "patient_death"}, "department"),
        (
            {"source": "manager", "contact": "555", "department": 0, "event_type": "patient_death"},
            "Unknown department",
        ),
        ({"source": "self_code", "contact": "555"}, "anonymous"),
        ({"source": "self_contact"}, "contact"),
        ({"source": "self_contact", "contact": "5", "event_type": "story"}, "event_type"),
        ({"source": "bogus", "contact": "5"}, "source"),
        ({"source": "self_contact", "contact": "5" * 201}, "contact"),
    ],
)
def test_bad_input_is_422_with_a_message(client, org, er, payload, fragment):
    response = _post(client, "requests", {"organization": org.slug, **payload})
    assert response.status_code == 422
    assert fragment in str(response.json()["detail"])
    assert not SupportRequest.objects.exists()


@pytest.mark.django_db
def test_unknown_org_and_code(client, org):
    assert (
        _post(client, "requests", {"organization": "nope", "source": "self_code"}).status_code
        == 404
    )
    assert _post(client, "status", {"access_code": "wrong"}).status_code == 404
    assert client.get(f"/api/v1/peer-support/{org.slug}/options").status_code == 200


@pytest.mark.django_db
def test_the_api_and_the_forms_share_the_request_rules(org, er):
    """One rule set (models.check_request), inside do_create_request: a caller that skips the form
    still cannot create a group request without a team size or an anonymous one with a contact."""
    from respite.core.errors import DomainError
    from respite.peers.models import Source, do_create_request

    with pytest.raises(DomainError) as refused:
        do_create_request(
            org, Source.GROUP, contact="555", department=er, event_type="patient_death"
        )
    assert refused.value.field == "team_size"
    with pytest.raises(DomainError) as refused:
        do_create_request(org, Source.SELF_CODE, code_for="requester", contact="555")
    assert refused.value.field == "contact"
    assert not SupportRequest.objects.exists()
