"""Worker-facing screening pages. No account, no name; results are reachable only from the browser
session that took the screening or with the worker's access code."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import privacy
from respite.core.apphooks import installed_hooks
from respite.core.portal import PortalRequest, client_language, portal_view
from respite.core.resources import crisis_options
from respite.core.rows import rows
from respite.core.sessions import write_with_session
from respite.core.urlseal import reverse_sealed
from respite.screening import charts, instruments, result_panels, routing, selfcare
from respite.screening.forms import AnswersForm, CodeForm, DeleteForm, SafetyPlanForm
from respite.screening.models import UNSAVED_TTL, SafetyPlan, Screening

CHECKIN = ("phq2", "gad2", "burnout", "selfharm")
# Items a check-in instrument shares with a follow-up: answered once, carried into the follow-up
# (the self-harm question is PHQ-9 item 9). The short instrument is then not stored separately.
SHARED_ITEMS = {("selfharm", "phq9"): ("9",)}
RISK_FOLLOW_UP = "cssrs"
RISK_LEVELS = (
    "high",
    "moderate",
    "low",
)  # C-SSRS bands with their own next steps on the result page
SAFETY_PLAN_LEVELS = ("high", "moderate")
SESSION_SCREENINGS = "respite_screenings"
SESSION_CODE = privacy.SESSION_CODE  # kept here for the apps that import it from screening
_CARRY_SALT = "respite.screening.checkin"
_SAVE_SALT = "respite.screening.save"


def _role_choices(request: PortalRequest):
    return request.organization.role_group_choices()


def _create(
    request: PortalRequest, results: list[instruments.Result], role_group: str
) -> HttpResponse:
    allowed = {g for g, _label in _role_choices(request)}
    # Already signed in with this organization's code: keep the history together. Read before the
    # transaction, and every row built before it too: it holds SQLite's write lock, which other
    # check-ins wait for.
    code = privacy.session_code(request)
    prepared = Screening.prepare(
        results,
        organization=request.organization,
        role_group=role_group if role_group in allowed else "",
        language=client_language(request),
        access_code=code,
    )
    seen = request.session.get(SESSION_SCREENINGS, [])
    request.session[SESSION_SCREENINGS] = [*seen[-19:], str(prepared.pk)]
    # The screening and the session that may open it, in one transaction (shared with other
    # check-ins arriving meanwhile: core.rows.write_together).
    write_with_session(request, prepared.statements)
    return HttpResponseRedirect(
        reverse_sealed("screening:result", prepared.pk, org=request.organization.slug)
    )


def _score_form(form: AnswersForm, ids: list[str], carried: dict[str, dict] | None = None):
    """Score each instrument of the form; on a wrong answer mark the field and return None."""
    results = []
    for inst_id in ids:
        inst = instruments.get(inst_id)
        answers = {**(carried or {}).get(inst_id, {}), **form.answers_for(inst)}
        try:
            results.append(inst.score(answers))
        except instruments.AnswerError as err:
            form.add_answer_error(inst, err)
            return None
    return results


@portal_view
def checkin(request: PortalRequest) -> HttpResponse:
    """The short check-in: PHQ-2, GAD-2 and the burnout item, then PHQ-9/GAD-7 when positive."""
    reg = instruments.registry()
    first = [(reg[i], list(reg[i].items)) for i in CHECKIN]
    if request.method != "POST":
        form = AnswersForm(first, role_choices=_role_choices(request))
        return render(
            request,
            "screening/take.html",
            {"form": form, "step": 1, "title": _("Two-minute check-in")},
        )

    if request.POST.get("step") == "2":
        try:
            carry = signing.loads(request.POST.get("carry", ""), salt=_CARRY_SALT, max_age=3600)
        except signing.BadSignature:
            messages.error(request, _("That page expired. Please start the check-in again."))
            return redirect("screening:checkin", org=request.organization.slug)
        carried = _carried(carry["answers"], carry["follow_ups"])
        parts = [
            (reg[f], [it for it in reg[f].items if it.id not in carried[f]])
            for f in carry["follow_ups"].values()
        ]
        form = AnswersForm(parts, request.POST)
        results = None
        if form.is_valid():
            results = _score_form(form, list(carry["follow_ups"].values()), carried)
        if results is None:
            return render(
                request,
                "screening/take.html",
                {**_step2_context(request, carry), "form": form, "carry": request.POST["carry"]},
                status=400,
            )
        # A check-in instrument whose answers all live on in a follow-up is not stored twice.
        follow_ups = carry["follow_ups"]
        absorbed = {s for s, f in follow_ups.items() if set(carry["answers"][s]) <= set(carried[f])}
        absorbed |= {
            src
            for (src, f), items in SHARED_ITEMS.items()
            if f in follow_ups.values() and set(carry["answers"].get(src, {})) <= set(items)
        }
        others = [reg[i].score(a) for i, a in carry["answers"].items() if i not in absorbed]
        return _create(request, [*results, *others], carry.get("role_group", ""))

    form = AnswersForm(first, request.POST, role_choices=_role_choices(request))
    results = _score_form(form, list(CHECKIN)) if form.is_valid() else None
    if results is None:  # answers kept, wrong ones marked; 400 so scripts see the refusal too
        return render(
            request,
            "screening/take.html",
            {"form": form, "step": 1, "title": _("Two-minute check-in")},
            status=400,
        )
    role_group = form.cleaned_data.get("role_group", "")
    follow_ups = {r.instrument.id: r.follow_up for r in results if r.follow_up}
    if any(r.crisis for r in results):
        # A risk answer: grade it with the C-SSRS now, and only that (crisis options head its page).
        follow_ups = {
            r.instrument.id: r.follow_up
            for r in results
            if r.crisis and r.follow_up == RISK_FOLLOW_UP
        }
    if not follow_ups:
        return _create(request, results, role_group)
    data = {
        "answers": {r.instrument.id: r.answers for r in results},
        "follow_ups": follow_ups,
        "role_group": role_group,
    }
    carried = _carried(data["answers"], follow_ups)
    parts = [
        (reg[f], [it for it in reg[f].items if it.id not in carried[f]])
        for f in follow_ups.values()
    ]
    return render(
        request,
        "screening/take.html",
        {
            **_step2_context(request, data),
            "form": AnswersForm(parts),
            "carry": signing.dumps(data, salt=_CARRY_SALT),
        },
    )


def _carried(answers: dict[str, dict], follow_ups: dict[str, str]) -> dict[str, dict]:
    """Answers already given that count for each follow-up: its screener's, and shared items."""
    reg = instruments.registry()
    # A screener's items are the first items of its follow-up (PHQ-2 -> PHQ-9), under the same ids.
    carried = {
        f: {i: v for i, v in answers.get(s, {}).items() if i in {it.id for it in reg[f].items}}
        for s, f in follow_ups.items()
    }
    for (src, f), items in SHARED_ITEMS.items():
        if f in carried and src in answers:
            carried[f].update({i: answers[src][i] for i in items if i in answers[src]})
    return carried


def _step2_context(request: HttpRequest, carry: dict) -> dict:
    risk = RISK_FOLLOW_UP in carry["follow_ups"].values()
    return {
        "step": 2,
        "title": _("A few safety questions") if risk else _("A few more questions"),
        "crisis_options": crisis_options(client_language(request)) if risk else [],
    }


@portal_view
def take(request: PortalRequest, instrument: str) -> HttpResponse:
    inst = instruments.registry().get(instrument)
    if inst is None:
        raise Http404
    parts = [(inst, list(inst.items))]
    form = AnswersForm(
        parts,
        request.POST if request.method == "POST" else None,
        role_choices=_role_choices(request),
    )
    if request.method == "POST" and form.is_valid():
        results = _score_form(form, [inst.id])
        if results is not None:
            return _create(request, results, form.cleaned_data.get("role_group", ""))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "screening/take.html",
        {"form": form, "instrument": inst, "title": inst.short_name},
        status=status,
    )


@portal_view
def choose(request: PortalRequest) -> HttpResponse:
    return render(
        request, "screening/choose.html", {"instruments": instruments.registry().values()}
    )


def get_screening_for_worker(request: PortalRequest, pk) -> Screening:
    """A screening is visible to the session that took it or to whoever holds its access code.

    Other apps (counseling) call this too: it is the one rule for who may act on a screening.
    """
    found = rows(Screening, pk=pk, organization=request.organization)
    if not found:
        raise Http404
    screening = found[0]
    code_id = request.session.get(SESSION_CODE)
    own_session = str(screening.pk) in request.session.get(SESSION_SCREENINGS, [])
    own_code = code_id is not None and str(screening.access_code_id) == code_id
    if not (own_session or own_code):
        raise Http404
    return screening


@portal_view
def result(request: PortalRequest, pk) -> HttpResponse:
    screening = get_screening_for_worker(request, pk)
    results = screening.scored()
    lang = client_language(request)
    needs = routing.needs_for(results)
    org = request.organization
    cssrs = next((r for r in results if r.instrument.id == RISK_FOLLOW_UP), None)
    risk_level = cssrs.headline.band.id if cssrs else None
    own_kinds = routing.available_kinds(org)
    unsaved = not screening.access_code_id
    # Crisis options, matched services and self-care: the same for everyone with this result.
    shared = result_panels.panels(
        org,
        needs,
        tier=screening.tier,
        role_group=screening.role_group,
        language=lang,
        crisis=screening.crisis,
        own_kinds=own_kinds,
    )
    # The page order is the routing promise: crisis options, the result in plain words, the
    # organization's own people, matched services, then self-care.
    context = {
        "screening": screening,
        "crisis_panel": shared["crisis"],
        "result_tier": shared["tier"],
        "intro": shared["intro"],
        "result_lines": result_panels.result_lines([r.as_dict(lang) for r in results]),
        "crisis": screening.crisis,
        "safety_check": any(n.id == "safety_check" for n in needs) and not screening.crisis,
        # A risk answer not yet graded leads on to the C-SSRS; a graded one shows its level's next steps.
        "offer_cssrs": screening.crisis and cssrs is None,
        "risk_level": risk_level if risk_level in RISK_LEVELS else None,
        "offer_safety_plan": risk_level in SAFETY_PLAN_LEVELS,
        "own_people": routing.own_people(org, needs, screening.tier, available=own_kinds),
        "services_panel": shared["services"],
        "self_care_panel": shared["self_care"],
        "save_token": save_token(screening) if unsaved else "",
        # Reversed (and sealed) once: the save form and the counselor offer's "save first" post here.
        "save_url": reverse_sealed("screening:save", screening.pk, org=org.slug) if unsaved else "",
        "signed_in": bool(request.session.get(SESSION_CODE)),
    }
    return render(request, "screening/result.html", context)


@require_POST
@portal_view
def save(request: PortalRequest, pk) -> HttpResponse:
    """Save a screening under a new access code, shown once on this page and never again."""
    screening = _screening_to_save(request, pk)
    then_share = request.POST.get("then") == "share"
    if screening.access_code_id:
        return redirect("screening:my_space", org=request.organization.slug)
    signed_in = privacy.session_code(request)
    if signed_in is not None:  # one worker, one code: a signed-in worker never gets a second one
        screening.save_under(signed_in)
        messages.success(request, _("Saved to your space."))
        return redirect("screening:result", org=request.organization.slug, pk=screening.pk)
    with transaction.atomic():
        words, code = privacy.new_access_code(request.organization, client_language(request))
        screening.save_under(code)
    privacy.attach_code(request, code.pk)
    # "Save first, then share": the code page carries the share form, so the worker goes straight on.
    return render(
        request,
        "screening/code_shown.html",
        {"code": words, "screening": screening, "then_share": then_share},
    )


def save_token(screening: Screening) -> str:
    """A short-lived signed proof, printed in the result page, that this browser was shown the result:
    a session that expired before "Save" can still save it (nothing a worker did is lost to an expiry)."""
    return signing.dumps(str(screening.pk), salt=_SAVE_SALT)


def _screening_to_save(request: PortalRequest, pk) -> Screening:
    try:
        return get_screening_for_worker(request, pk)
    except Http404:
        try:
            signed = signing.loads(
                request.POST.get("token", ""), salt=_SAVE_SALT, max_age=UNSAVED_TTL
            )
        except signing.BadSignature:
            raise Http404 from None
        # Only an unsaved result: a saved one is opened with its code, never with a token.
        screening = get_object_or_404(
            Screening, pk=pk, organization=request.organization, access_code__isnull=True
        )
        if signed != str(screening.pk):
            raise Http404 from None
        request.session[SESSION_SCREENINGS] = [
            *request.session.get(SESSION_SCREENINGS, [])[-19:],
            str(screening.pk),
        ]
        return screening


@portal_view
def code_login(request: PortalRequest) -> HttpResponse:
    form = CodeForm(request.POST if request.method == "POST" else None)
    status: int | None = 200
    if form.is_bound:
        status = privacy.sign_in_with_code(
            request,
            form,
            _("We could not find saved results for that code. Check the words and try again."),
        )
        if status is None:
            return redirect("screening:my_space", org=request.organization.slug)
    return render(request, "screening/code_login.html", {"form": form}, status=status)


def _code_screenings(request: PortalRequest):
    code_id = request.session.get(SESSION_CODE)
    if not code_id:
        return None
    return Screening.objects.filter(access_code_id=code_id, organization=request.organization)


@portal_view
def history(request: PortalRequest) -> HttpResponse:
    """My space: everything saved under the worker's code, each with its status and next step.

    Other apps add their sections through ``respite_my_space`` on their AppConfig: a dotted path to
    ``section(request, code) -> {"template": ..., ...}``.
    """
    code = privacy.session_code(request)
    if code is None:
        return redirect("screening:code_login", org=request.organization.slug)
    screenings = Screening.objects.filter(access_code=code, organization=request.organization)
    lang = client_language(request)
    rows = [
        {"screening": s, "results": [r.rescore().as_dict(lang) for r in s.results.all()]}
        for s in screenings.prefetch_related("results")
    ]
    sections = [
        import_string(hooks.my_space)(request, code)
        for hooks in installed_hooks()
        if hooks.my_space
    ]
    return render(
        request,
        "screening/history.html",
        {
            "rows": rows,
            "delete_form": DeleteForm(),
            "has_chart": charts.has_series(rows),
            "sections": sections,
            "has_plan": SafetyPlan.objects.filter(access_code=code).exists(),
            "charts": [
                (i, instruments.get(i).short_name) for i in charts.series_by_instrument(screenings)
            ],
        },
    )


@portal_view
def history_chart(request: PortalRequest) -> HttpResponse:
    screenings = _code_screenings(request)
    if screenings is None:
        raise Http404
    series = charts.series(screenings.prefetch_related("results"))
    return HttpResponse(charts.trend_svg(series), content_type="image/svg+xml")


@portal_view
def instrument_chart(request: PortalRequest, instrument: str) -> HttpResponse:
    """One instrument's scores with its severity bands, for the worker's code only."""
    screenings = _code_screenings(request)
    if screenings is None:
        raise Http404
    points = charts.series_by_instrument(screenings.prefetch_related("results")).get(instrument)
    if not points:
        raise Http404
    svg = charts.instrument_svg(instrument, points, client_language(request))
    return HttpResponse(svg, content_type="image/svg+xml")


@require_POST
@portal_view
def delete_all(request: PortalRequest) -> HttpResponse:
    code_id = request.session.get(SESSION_CODE)
    form = DeleteForm(request.POST)
    if not code_id:
        return redirect("screening:code_login", org=request.organization.slug)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm you want to delete everything."))
        return redirect("screening:history", org=request.organization.slug)
    privacy.AccessCode.objects.filter(pk=code_id).delete()  # cascades to every saved screening
    privacy.forget_deleted()
    request.session.flush()
    messages.success(request, _("Everything saved under your code has been deleted."))
    return _forget_device(redirect(reverse("portal", kwargs={"org": request.organization.slug})))


@require_POST
@portal_view
def code_logout(request: PortalRequest) -> HttpResponse:
    request.session.flush()
    return _forget_device(redirect("portal", org=request.organization.slug))


def _forget_device(response: HttpResponse) -> HttpResponse:
    """Drop what this browser kept for the worker (the offline copy of the safety plan)."""
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


# --- Safety plan (Stanley-Brown) ------------------------------------------------------------------


@portal_view
def safety_plan(request: PortalRequest) -> HttpResponse:
    """The worker's plan to read and print. The service worker keeps this page for offline use."""
    code = privacy.session_code(request)
    plan = SafetyPlan.objects.filter(access_code=code).first() if code else None
    if plan is None:
        return redirect("screening:safety_plan_edit", org=request.organization.slug)
    steps = [
        (cast(Field, plan._meta.get_field(s)).verbose_name, getattr(plan, s))
        for s in SafetyPlan.SECTIONS
    ]
    response = render(
        request,
        "screening/safety_plan.html",
        {"plan": plan, "steps": steps, "crisis_options": crisis_options(client_language(request))},
    )
    response["Cache-Control"] = (
        "private, no-store"  # the service worker's own cache is the only copy
    )
    return response


@portal_view
def safety_plan_edit(request: PortalRequest) -> HttpResponse:
    """Write or change the plan. Saved under the worker's code; a worker with none gets one, once."""
    code = privacy.session_code(request)
    plan = SafetyPlan.objects.filter(access_code=code).first() if code else None
    form = SafetyPlanForm(request.POST if request.method == "POST" else None, instance=plan)
    if request.method == "POST" and form.is_valid():
        words = None
        with transaction.atomic():
            if code is None:
                words, code = privacy.new_access_code(
                    request.organization, client_language(request)
                )
            plan = form.save(commit=False)
            plan.access_code, plan.organization = code, request.organization
            plan.updated_on = timezone.localdate()
            plan.save()
        if words is not None:
            request.session.cycle_key()
            privacy.attach_code(request, code.pk)
            return render(request, "screening/safety_plan_saved.html", {"code": words})
        messages.success(request, _("Your safety plan is saved."))
        return redirect("screening:safety_plan", org=request.organization.slug)
    return render(
        request,
        "screening/safety_plan_edit.html",
        {"form": form, "has_code": code is not None},
        status=400 if form.errors else 200,
    )


# --- Self-care guides ------------------------------------------------------------------------------


@portal_view
def selfcare_list(request: PortalRequest) -> HttpResponse:
    return render(
        request,
        "screening/selfcare_list.html",
        {"guides": selfcare.all_guides(client_language(request))},
    )


@portal_view
def selfcare_guide(request: PortalRequest, guide: str) -> HttpResponse:
    found = selfcare.guide(guide, client_language(request))
    if found is None:
        raise Http404
    return render(request, "screening/selfcare_guide.html", {"guide": found})
