"""Community action kit pages under /o/<org>/community/.

Three kinds of visitor, each loaded through its own helper:
- anyone with the RSVP link (``_get_event_for_public``): RSVP, leave a note, pledge;
- the organizer, who holds the private management link (``_get_event_for_organizer``);
- nobody else: unknown ids and tokens give 404, repeated wrong tokens 429.
Posts from the public are rate-limited per network address (keyed hash, never the raw address).
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from respite.community import actions, social, toolkit
from respite.community.forms import ComposerForm, EventForm, NoteForm, PledgeForm, RsvpForm
from respite.community.models import Event, Note, NoteStatus
from respite.core import pdf, privacy
from respite.core.portal import PortalRequest, client_language, portal_view
from respite.core.resources import crisis_options

SESSION_RSVPS = "community_rsvps"
POSTS_PER_ADDRESS = 120  # per throttle window; a hospital's staff share one public address


def _too_many(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "community/too_many.html", {"message": message}, status=429)


def _get_event_for_public(request: PortalRequest, pk) -> Event:
    event = Event.objects.visible().filter(organization=request.organization, pk=pk).first()
    if event is None:
        raise Http404
    return event


SESSION_MANAGE = (
    "community_manage"  # the keyed hash of the host's management token, never the token
)


def _get_event_for_organizer(request: PortalRequest, token: str) -> Event:
    """The event whose management token this is; wrong tokens are throttled like access codes."""
    keys = privacy.check_credential(
        request,
        token[:100],
        kind="community-manage",
        per_credential=settings.RESPITE_CODE_FAILURES_PER_CODE,
        per_address=settings.RESPITE_CODE_FAILURES_PER_ADDRESS,
    )
    event = Event.objects.visible().for_token(request.organization, token)
    if event is None:
        for key in keys:
            privacy.throttle_record_failure(key)
        raise Http404
    return event


def _organizer(view):
    """The gathering this browser opened with its management token (only the token's keyed hash is in
    the session); without one, back to the form that asks for the link."""

    @wraps(view)
    def wrapper(request: PortalRequest, *args, **kwargs) -> HttpResponse:
        digest = request.session.get(SESSION_MANAGE)
        event = (
            Event.objects.visible()
            .filter(organization=request.organization, manage_digest=digest)
            .first()
            if isinstance(digest, str)
            else None
        )
        if event is None:
            return redirect("community:open", org=request.organization.slug)
        return view(request, event, *args, **kwargs)

    return wrapper


def _manage_url(event: Event) -> str:
    return reverse("community:manage", kwargs={"org": event.organization.slug})


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@portal_view
@require_GET
def old_link(request: HttpRequest) -> HttpResponse:
    """A management link from before the token moved after "#": it no longer opens the gathering by
    itself (its token was in the address, where proxies log it); the host pastes it into the form."""
    from respite.community.forms import ManageTokenForm

    return render(
        request, "community/open.html", {"form": ManageTokenForm(), "old_link": True}, status=410
    )


def private_link(request: PortalRequest, event: Event, token: str) -> str:
    """The host's link: the token travels after "#", which browsers never send, so it reaches no URL,
    proxy log or Referer; app.js posts it with the form of the page it opens."""
    open_url = reverse("community:open", kwargs={"org": event.organization.slug})
    return request.build_absolute_uri(open_url) + "#" + token


@portal_view
def open_manage(request: PortalRequest) -> HttpResponse:
    """Where the private link lands: the token (from the fragment, or pasted by hand) is posted here,
    checked (throttled), and only its keyed hash kept in the session."""
    from respite.community.forms import ManageTokenForm

    form = ManageTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            raw = form.cleaned_data["token"]
            token = raw.rsplit("#", 1)[-1].rstrip("/").rsplit("/", 1)[-1]
            try:
                event = _get_event_for_organizer(request, token)
            except privacy.Throttled:
                return _too_many(request, privacy.too_many_attempts())
            except Http404:
                form.add_error(
                    "token", _("This link does not open a gathering. Check it and try again.")
                )
                status = 404
            else:
                request.session.cycle_key()
                request.session[SESSION_MANAGE] = event.manage_digest
                return redirect(_manage_url(event))
    return render(request, "community/open.html", {"form": form}, status=status)


# --- Start ------------------------------------------------------------------------------------
@portal_view
@require_GET
def index(request: PortalRequest) -> HttpResponse:
    return render(
        request, "community/index.html", {"notes": toolkit.notes(), "fund": toolkit.fundraising()}
    )


@portal_view
def create(request: PortalRequest) -> HttpResponse:
    org = request.organization
    form = EventForm(request.POST or None, initial={"state": org.state})
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event.organization = org
        token = event.new_manage_token()
        event.save()
        request.session.cycle_key()
        request.session[SESSION_MANAGE] = event.manage_digest
        # Shown once, on this page only: we keep only the token's keyed hash.
        return render(
            request,
            "community/created.html",
            {"event": event, "manage_url": private_link(request, event, token)},
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "community/event_form.html", {"form": form, "creating": True}, status=status
    )


# --- Public event page ------------------------------------------------------------------------
def _event_context(request: PortalRequest, event: Event, **forms) -> dict:
    return {
        "event": event,
        "tally": event.tally(),
        "notes": event.notes.approved(),
        "fund": toolkit.fundraising(),
        "rsvp_form": forms.get("rsvp_form") or RsvpForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "pledge_form": forms.get("pledge_form") or PledgeForm(),
        "pledges": event.pledges.exclude(display_name="")[:20],
        "coming": str(event.pk) in request.session.get(SESSION_RSVPS, []),
        "note_sent": request.GET.get("note") == "sent",
    }


@portal_view
@require_GET
def event_page(request: PortalRequest, pk) -> HttpResponse:
    event = _get_event_for_public(request, pk)
    return render(request, "community/event.html", _event_context(request, event))


def _refuse_public_post(
    request: PortalRequest, event: Event, form_name: str, form: BaseForm
) -> HttpResponse | None:
    """Why a public post (RSVP, note, pledge) cannot be saved: the event page with the form's errors
    (400), or "please wait" (429) past this network's post limit; None when it may be saved."""
    if not form.is_valid():
        return render(
            request,
            "community/event.html",
            _event_context(request, event, **{form_name: form}),
            status=400,
        )
    try:
        privacy.rate_limit(request, "community-post", POSTS_PER_ADDRESS)
    except privacy.Throttled:
        return _too_many(request, privacy.too_many_requests())
    return None


@portal_view
@require_POST
def rsvp(request: PortalRequest, pk) -> HttpResponse:
    event = _get_event_for_public(request, pk)
    if event.is_past:
        messages.error(request, _("This gathering has already taken place."))
        return redirect(event)
    form = RsvpForm(request.POST)
    if refused := _refuse_public_post(request, event, "rsvp_form", form):
        return refused
    form.instance.event = event
    form.instance.language = client_language(request)
    form.save()
    seen = request.session.get(SESSION_RSVPS, [])
    request.session[SESSION_RSVPS] = [*seen[-19:], str(event.pk)]
    messages.success(request, _("Thank you, you're on the list."))
    return redirect(event)


@portal_view
@require_POST
def note_submit(request: PortalRequest, pk) -> HttpResponse:
    event = _get_event_for_public(request, pk)
    form = NoteForm(request.POST)
    if refused := _refuse_public_post(request, event, "note_form", form):
        return refused
    form.instance.event = event
    form.save()
    return redirect(f"{event.get_absolute_url()}?note=sent#notes")


@portal_view
@require_POST
def pledge(request: PortalRequest, pk) -> HttpResponse:
    event = _get_event_for_public(request, pk)
    form = PledgeForm(request.POST)
    if refused := _refuse_public_post(request, event, "pledge_form", form):
        return refused
    form.save(event)
    messages.success(
        request, _("Thank you for your pledge. Please complete it on the donation page.")
    )
    return redirect(f"{event.get_absolute_url()}#fundraising")


@portal_view
@require_GET
def cards_pdf(request: PortalRequest) -> HttpResponse:
    """Foldable note cards; ?event=<id> prints the event's clinic or unit on the front."""
    event = None
    if request.GET.get("event"):
        try:
            event_id = uuid.UUID(request.GET["event"])
        except ValueError as exc:
            raise Http404 from exc
        event = _get_event_for_public(request, event_id)
    ctx = {
        "notes": toolkit.notes(),
        "event": event,
        "source": toolkit.toolkit_data()["source"],
        "organization": request.organization,
    }
    return pdf.pdf_response(
        pdf.render_pdf("community/pdf/cards.html", ctx, request), _("thank-you-cards")
    )


# --- Organizer --------------------------------------------------------------------------------
@portal_view
@_organizer
@require_GET
def manage(request: PortalRequest, event: Event) -> HttpResponse:
    ctx = {
        "event": event,
        "tally": event.tally(),
        "rsvps": event.rsvps.all(),
        "pending": event.notes.pending(),
        "approved": event.notes.approved(),
        "pledges": event.pledges.all(),
        "fund": toolkit.fundraising(),
        "public_url": request.build_absolute_uri(event.get_absolute_url()),
    }
    return render(request, "community/manage.html", ctx)


@portal_view
@_organizer
def edit(request: PortalRequest, event: Event) -> HttpResponse:
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Changes saved."))
        return redirect(_manage_url(event))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "community/event_form.html",
        {"form": form, "event": event},
        status=status,
    )


@portal_view
@_organizer
@require_POST
def moderate(request: PortalRequest, event: Event) -> HttpResponse:
    note, action = _uuid(request.POST.get("note")), request.POST.get("action")
    target = Note.objects.filter(event=event, pk=note).first() if note else None
    if target is None or action not in ("approve", "reject"):
        raise Http404
    target.status = NoteStatus.APPROVED if action == "approve" else NoteStatus.REJECTED
    target.save(update_fields=["status"])
    return redirect(_manage_url(event) + "#notes")


@portal_view
@_organizer
@require_POST
def pledge_delete(request: PortalRequest, event: Event) -> HttpResponse:
    pledge = _uuid(request.POST.get("pledge"))
    deleted, _rows = event.pledges.filter(pk=pledge).delete() if pledge else (0, {})
    if not deleted:
        raise Http404
    return redirect(_manage_url(event) + "#pledges")


@portal_view
@_organizer
@require_POST
def delete(request: PortalRequest, event: Event) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(
            request,
            _("Tick the box to confirm that the gathering and all its replies should be deleted."),
        )
        return redirect(_manage_url(event) + "#delete")
    org = event.organization
    with transaction.atomic():
        event.delete()
    request.session.pop(SESSION_MANAGE, None)
    messages.success(request, _("The gathering, its RSVPs, notes and pledges were deleted."))
    return redirect("community:index", org=org.slug)


@portal_view
@_organizer
@require_GET
def packet_pdf(request: PortalRequest, event: Event) -> HttpResponse:
    language = client_language(request)
    ctx = {
        "event": event,
        "guide": toolkit.discussion_guide(event.audience, event.format),
        "resources": actions.to_action(
            event.audience, organization=event.organization, state=event.state, language=language
        ),
        "crisis_options": crisis_options(language),
        "source": toolkit.toolkit_data()["source"],
        "organization": event.organization,
    }
    return pdf.pdf_response(
        pdf.render_pdf("community/pdf/packet.html", ctx, request), _("facilitator-packet")
    )


# --- Social composer -------------------------------------------------------------------------
@portal_view
def composer(request: PortalRequest) -> HttpResponse:
    """Start from a suggested post, add a resource link and hashtags, see warnings and counts.

    Works as a plain form; with htmx the result part refreshes while typing (same view, partial
    template). Nothing is stored: the post only passes through to be checked.
    """
    language = client_language(request)
    links = actions.link_choices(organization=request.organization, language=language)
    kit = toolkit.social(language)
    result = None
    if request.method == "POST":
        form = ComposerForm(request.POST, links=links)
    else:
        start = next((p["text"] for p in kit["posts"] if p["id"] == request.GET.get("start")), "")
        form = ComposerForm(initial={"text": start}, links=links)
    if request.method == "POST" and form.is_valid():
        final = form.composed()
        result = social.check(final, extra_urls=[c["url"] for c in links], language=language)
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    ctx = {"form": form, "result": result, "kit": kit}
    if request.headers.get("HX-Request"):
        return render(request, "community/_composer_result.html", ctx, status=status)
    return render(request, "community/composer.html", ctx, status=status)
