"""Worker-facing peer support pages: ask for yourself, refer a colleague, ask for a team, check a
request's status and rate the help, all without an account.

A browser session can see a request only after creating it or after entering one of its codes;
what it then sees depends on which code: the requester sees the supporter's message and can rate,
a referrer sees only whether a supporter has reached out.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import privacy
from respite.core.errors import DomainError
from respite.core.models import AccessCode
from respite.core.portal import PortalRequest, client_language, portal_view
from respite.peers.forms import (
    CodeForm,
    GroupRequestForm,
    MessageForm,
    RatingForm,
    ReferralForm,
    SelfRequestForm,
)
from respite.peers.models import (
    PeerMessage,
    PeerProgram,
    Source,
    SupportRequest,
    ThreadError,
    do_create_request,
    do_post_message,
    request_for_code,
)

SESSION_KEY = "peers_requests"  # {request id: "requester" | "referrer" | "rater"}


def my_space_section(request: PortalRequest, code: AccessCode) -> dict:
    """This worker's own peer-support requests, for the My space page (screening.views.my_space).

    The session may then open each request's status page, as if the worker had typed the code there.
    """
    reqs = list(
        SupportRequest.objects.filter(
            organization=request.organization, requester_code=code
        ).order_by("-created_at")
    )
    for req in reqs:
        _remember(request, req, "requester")
        req.thread_size = req.messages.count() + bool(req.supporter_message)  # type: ignore[attr-defined]  # shown by My space's template only
    return {"template": "peers/_my_space.html", "requests": reqs}


def _remember(request: HttpRequest, req: SupportRequest, role: str) -> None:
    seen = dict(list(request.session.get(SESSION_KEY, {}).items())[-9:])
    seen[str(req.pk)] = role
    request.session[SESSION_KEY] = seen


def _get_request_for_worker(request: PortalRequest, pk) -> tuple[SupportRequest, str]:
    """The request and this session's part in it; 404 to any session that is not a party."""
    role = request.session.get(SESSION_KEY, {}).get(str(pk))
    if role is None:
        raise Http404
    return get_object_or_404(SupportRequest, pk=pk, organization=request.organization), role


def _thread_open_to(request: HttpRequest, req: SupportRequest, role: str) -> bool:
    """The two-way thread is the requester's alone, and only with the request's own access code in
    this browser's session (``privacy.session_code``): a referrer, a rater or a session that merely
    remembers the request never reads or writes it."""
    if not req.thread_open_to(role):
        return False
    code = privacy.session_code(request)
    return code is not None and code.pk == req.requester_code_id


def _status_context(request: PortalRequest, req: SupportRequest, role: str, **extra) -> dict:
    can_rate = req.rateable_by(role) and req.rating is None
    thread = None
    can_write = False
    if _thread_open_to(request, req, role):
        thread = list(req.messages.all())
        can_write = req.closed_at is None and req.assigned_id is not None
    context = {
        "req": req,
        "role": role,
        "can_rate": can_rate,
        "form": RatingForm() if can_rate else None,
        "program": PeerProgram.for_org(request.organization),
        "thread": thread,
        "message_form": MessageForm() if can_write else None,
    }
    context.update(extra)
    return context


@portal_view
def index(request: PortalRequest) -> HttpResponse:
    program = PeerProgram.for_org(request.organization)
    return render(request, "peers/index.html", {"program": program})


def _created(
    request: PortalRequest, req: SupportRequest, words: str | None, role: str
) -> HttpResponse:
    _remember(request, req, role)
    program = PeerProgram.for_org(request.organization)
    return render(
        request, "peers/created.html", {"req": req, "code": words, "role": role, "program": program}
    )


def _request_fields(data: dict) -> dict:
    return {
        "contact": data.get("contact", ""),
        "best_time": data.get("best_time", ""),
        "department": data.get("department"),
        "role_group": data.get("role_group", ""),
        "language": data["language"],
        "event_type": data["event_type"],
    }


@portal_view
def ask(request: PortalRequest) -> HttpResponse:
    """Self-referral: anonymous with a code (default) or with a contact the worker chooses to give."""
    org = request.organization
    form = SelfRequestForm(
        org,
        request.POST or None,
        initial={"language": client_language(request)},
    )
    if request.method == "POST" and form.is_valid():
        anonymous = form.cleaned_data["mode"] == SelfRequestForm.MODE_CODE
        signed_in = privacy.session_code(request) if anonymous else None
        try:
            req, words = do_create_request(
                org,
                Source.SELF_CODE if anonymous else Source.SELF_CONTACT,
                code_for="requester" if anonymous else None,
                code=signed_in,  # one worker, one code: never a second one for a signed-in worker
                **_request_fields(form.cleaned_data),
            )
        except DomainError as exc:
            exc.add_to(form)
        else:
            if anonymous and signed_in is None:
                # The new code is now this worker's identity for screenings, counseling and bookings.
                privacy.attach_code(request, req.requester_code_id)
            return _created(request, req, words, "requester")
    return _request_form(request, form, "self")


def _request_form(request: PortalRequest, form: forms.Form, kind: str) -> HttpResponse:
    return render(
        request,
        "peers/request_form.html",
        {"form": form, "kind": kind},
        status=400 if form.errors else 200,
    )


def _referral(request: PortalRequest, form: forms.Form, source: str, **fields: Any) -> HttpResponse:
    """Someone asks for someone else (colleague, manager, team): the referrer gets the code."""
    try:
        req, words = do_create_request(request.organization, source, code_for="referrer", **fields)
    except DomainError as exc:
        exc.add_to(form)
        return _request_form(request, form, "team" if source == Source.GROUP else "refer")
    return _created(request, req, words, "referrer")


@portal_view
def refer(request: PortalRequest) -> HttpResponse:
    """A colleague or manager refers someone after an adverse event: contact and kind of event only."""
    org = request.organization
    form = ReferralForm(org, request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = (
            Source.MANAGER if form.cleaned_data["relationship"] == "manager" else Source.COLLEAGUE
        )
        return _referral(request, form, source, **_request_fields(form.cleaned_data))
    return _request_form(request, form, "refer")


@portal_view
def team(request: PortalRequest) -> HttpResponse:
    """A group request for a team after a critical incident."""
    org = request.organization
    form = GroupRequestForm(org, request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = _request_fields({**form.cleaned_data, "role_group": ""})
        return _referral(
            request, form, Source.GROUP, team_size=form.cleaned_data["team_size"], **fields
        )
    return _request_form(request, form, "team")


@portal_view
def check(request: PortalRequest) -> HttpResponse:
    """Enter a code: the requester's, the referrer's, or the rating code the supporter handed over."""
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            found = privacy.lookup_code(
                request,
                form.cleaned_data["code"],
                lambda c: request_for_code(c, request.organization),
            )
        except privacy.Throttled:
            form.add_error(None, privacy.too_many_attempts())
            status = 429
        else:
            code, req = found or (None, None)
            if req is not None:
                role = req.role_of(code)
                request.session.cycle_key()
                if role == "requester":
                    # One worker, one code: it now opens My space, counseling and bookings too.
                    privacy.attach_code(request, code.pk)
                _remember(request, req, role)
                return redirect("peers:status", org=request.organization.slug, pk=req.pk)
            # One message for wrong, unknown and malformed codes: nothing to learn from it.
            form.add_error(
                None, _("We could not find a request for that code. Check the words and try again.")
            )
            status = 400
    return render(request, "peers/check.html", {"form": form}, status=status)


@portal_view
def status(request: PortalRequest, pk) -> HttpResponse:
    req, role = _get_request_for_worker(request, pk)
    return render(request, "peers/status.html", _status_context(request, req, role))


@require_POST
@portal_view
def message(request: PortalRequest, pk) -> HttpResponse:
    """The worker answers their supporter, with their code: no phone number needed."""
    req, role = _get_request_for_worker(request, pk)
    if not _thread_open_to(request, req, role):
        raise Http404
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            do_post_message(req, PeerMessage.Author.WORKER, form.cleaned_data["body"])
        except ThreadError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Sent. Your supporter has been told there is a message."))
            return redirect("peers:status", org=request.organization.slug, pk=req.pk)
    context = _status_context(request, req, role)
    context["message_form"] = form
    return render(request, "peers/status.html", context, status=400)


@require_POST
@portal_view
def rate(request: PortalRequest, pk) -> HttpResponse:
    req, role = _get_request_for_worker(request, pk)
    if not req.rateable_by(role):
        raise Http404
    form = RatingForm(request.POST)
    if req.rating is not None:
        form.add_error(None, _("This support has already been rated. Thank you."))
    if not form.is_valid():
        context = _status_context(request, req, role)
        context.update(can_rate=req.rating is None, form=form)
        return render(request, "peers/status.html", context, status=400)
    # Only the score is kept: the rating has no date finer than the request's own.
    SupportRequest.objects.filter(pk=req.pk, rating__isnull=True).update(
        rating=form.cleaned_data["rating"]
    )
    return render(request, "peers/rated.html", {"req": req})
