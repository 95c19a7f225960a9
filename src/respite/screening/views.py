"""Worker-facing screening pages. No account, no name; results are reachable only from the browser
session that took the screening or with the worker's access code."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from respite.core import privacy
from respite.core.portal import client_language, portal_view
from respite.core.resources import crisis_options
from respite.screening import charts, instruments, recommendations
from respite.screening.forms import AnswersForm, CodeForm, DeleteForm
from respite.screening.models import Screening

CHECKIN = ("phq2", "gad2", "burnout")
SESSION_SCREENINGS = "respite_screenings"
SESSION_CODE = "respite_access_code"
_CARRY_SALT = "respite.screening.checkin"


def _role_choices(request: HttpRequest):
    return request.organization.role_group_choices()


def _create(request: HttpRequest, results: list[instruments.Result], role_group: str) -> HttpResponse:
    allowed = {g for g, _label in _role_choices(request)}
    screening = Screening.do_create(results, organization=request.organization,
                                    role_group=role_group if role_group in allowed else "",
                                    language=client_language(request))
    code_id = request.session.get(SESSION_CODE)
    if code_id:  # already signed in with a code: keep the history together
        code = privacy.AccessCode.objects.filter(pk=code_id).first()
        if code:
            screening.save_under(code)
    seen = request.session.get(SESSION_SCREENINGS, [])
    request.session[SESSION_SCREENINGS] = [*seen[-19:], str(screening.pk)]
    return redirect("screening:result", org=request.organization.slug, pk=screening.pk)


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
def checkin(request: HttpRequest) -> HttpResponse:
    """The short check-in: PHQ-2, GAD-2 and the burnout item, then PHQ-9/GAD-7 when positive."""
    reg = instruments.registry()
    first = [(reg[i], list(reg[i].items)) for i in CHECKIN]
    if request.method != "POST":
        form = AnswersForm(first, role_choices=_role_choices(request))
        return render(request, "screening/take.html", {"form": form, "step": 1, "title": _("Two-minute check-in")})

    if request.POST.get("step") == "2":
        try:
            carry = signing.loads(request.POST.get("carry", ""), salt=_CARRY_SALT, max_age=3600)
        except signing.BadSignature:
            messages.error(request, _("That page expired. Please start the check-in again."))
            return redirect("screening:checkin", org=request.organization.slug)
        parts = [(reg[f], [it for it in reg[f].items if it.id not in carry["answers"].get(s, {})])
                 for s, f in carry["follow_ups"].items()]
        form = AnswersForm(parts, request.POST)
        results = None
        if form.is_valid():
            carried = {f: carry["answers"][s] for s, f in carry["follow_ups"].items()}
            results = _score_form(form, list(carry["follow_ups"].values()), carried)
        if results is None:
            return render(request, "screening/take.html", {"form": form, "step": 2, "carry": request.POST["carry"],
                                                            "title": _("A few more questions")}, status=400)
        others = [reg[i].score(a) for i, a in carry["answers"].items() if i not in carry["follow_ups"]]
        return _create(request, [*results, *others], carry.get("role_group", ""))

    form = AnswersForm(first, request.POST, role_choices=_role_choices(request))
    results = _score_form(form, list(CHECKIN)) if form.is_valid() else None
    if results is None:  # answers kept, wrong ones marked; 400 so scripts see the refusal too
        return render(request, "screening/take.html", {"form": form, "step": 1, "title": _("Two-minute check-in")},
                      status=400)
    role_group = form.cleaned_data.get("role_group", "")
    follow_ups = {r.instrument.id: r.follow_up for r in results if r.follow_up}
    if not follow_ups or any(r.crisis for r in results):
        return _create(request, results, role_group)
    carry = signing.dumps({"answers": {r.instrument.id: r.answers for r in results}, "follow_ups": follow_ups,
                           "role_group": role_group}, salt=_CARRY_SALT)
    parts = [(reg[f], [it for it in reg[f].items if it.id not in next(r.answers for r in results
                                                                          if r.instrument.id == s)])
             for s, f in follow_ups.items()]
    return render(request, "screening/take.html", {"form": AnswersForm(parts), "step": 2, "carry": carry,
                                                    "title": _("A few more questions")})


@portal_view
def take(request: HttpRequest, instrument: str) -> HttpResponse:
    inst = instruments.registry().get(instrument)
    if inst is None:
        raise Http404
    parts = [(inst, list(inst.items))]
    form = AnswersForm(parts, request.POST if request.method == "POST" else None, role_choices=_role_choices(request))
    if request.method == "POST" and form.is_valid():
        results = _score_form(form, [inst.id])
        if results is not None:
            return _create(request, results, form.cleaned_data.get("role_group", ""))
    status = 400 if request.method == "POST" else 200
    return render(request, "screening/take.html", {"form": form, "instrument": inst, "title": inst.short_name},
                  status=status)


@portal_view
def choose(request: HttpRequest) -> HttpResponse:
    return render(request, "screening/choose.html", {"instruments": instruments.registry().values()})


def get_screening_for_worker(request: HttpRequest, pk) -> Screening:
    """A screening is visible to the session that took it or to whoever holds its access code.

    Other apps (counseling) call this too: it is the one rule for who may act on a screening.
    """
    screening = get_object_or_404(Screening, pk=pk, organization=request.organization)
    code_id = request.session.get(SESSION_CODE)
    own_session = str(screening.pk) in request.session.get(SESSION_SCREENINGS, [])
    own_code = code_id is not None and str(screening.access_code_id) == code_id
    if not (own_session or own_code):
        raise Http404
    return screening


@portal_view
def result(request: HttpRequest, pk) -> HttpResponse:
    screening = get_screening_for_worker(request, pk)
    results = screening.scored()
    lang = client_language(request)
    context = {
        "screening": screening,
        "results": [r.as_dict(lang) for r in results],
        "crisis": screening.crisis,
        "crisis_options": crisis_options(lang) if screening.crisis else [],
        "recommendations": recommendations.for_tier(screening.tier, screening.role_group, lang),
        "signed_in": bool(request.session.get(SESSION_CODE)),
        "result_panels": [t for c in apps.get_app_configs() for t in getattr(c, "respite_result_panels", [])],
    }
    return render(request, "screening/result.html", context)


@require_POST
@portal_view
def save(request: HttpRequest, pk) -> HttpResponse:
    """Save a screening under a new access code, shown once on this page and never again."""
    screening = get_screening_for_worker(request, pk)
    if screening.access_code_id:
        return redirect("screening:history", org=request.organization.slug)
    with transaction.atomic():
        words, code = privacy.new_access_code(request.organization)
        screening.save_under(code)
    request.session[SESSION_CODE] = str(code.pk)
    return render(request, "screening/code_shown.html", {"code": words, "screening": screening})


def sign_in_with_code(request: HttpRequest, form: CodeForm, not_found: str) -> int | None:
    """Open this session with the access code typed into ``form`` (the one rule, also used by
    counseling). Returns None when the session now holds the code; otherwise the HTTP status to
    answer with, the reason added to the form. Wrong, unknown and malformed codes read the same."""
    if not form.is_valid():
        return 400
    try:
        # A real code of another organization is a failure like any unknown code (charged, same time).
        code = privacy.lookup_code(
            request,
            form.cleaned_data["code"],
            lambda c: c if c.organization_id in (None, request.organization.pk) else None,
        )
    except privacy.Throttled:
        form.add_error(None, _("Too many attempts. Please wait 15 minutes and try again."))
        return 429
    if code is None:
        form.add_error(None, not_found)
        return 400
    request.session.cycle_key()
    request.session[SESSION_CODE] = str(code.pk)
    return None


@portal_view
def code_login(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = sign_in_with_code(
            request, form, _("We could not find saved results for that code. Check the words and try again.")
        )
        if status is None:
            return redirect("screening:history", org=request.organization.slug)
    return render(request, "screening/code_login.html", {"form": form}, status=status)


def _code_screenings(request: HttpRequest):
    code_id = request.session.get(SESSION_CODE)
    if not code_id:
        return None
    return Screening.objects.filter(access_code_id=code_id, organization=request.organization)


@portal_view
def history(request: HttpRequest) -> HttpResponse:
    screenings = _code_screenings(request)
    if screenings is None:
        return redirect("screening:code_login", org=request.organization.slug)
    rows = []
    for s in screenings.prefetch_related("results"):
        rows.append({"screening": s, "results": [r.rescore().as_dict(client_language(request)) for r in s.results.all()]})
    return render(request, "screening/history.html", {"rows": rows, "delete_form": DeleteForm(),
                                                       "has_chart": charts.has_series(rows)})


@portal_view
def history_chart(request: HttpRequest) -> HttpResponse:
    screenings = _code_screenings(request)
    if screenings is None:
        raise Http404
    series = charts.series(screenings.prefetch_related("results"))
    return HttpResponse(charts.trend_svg(series), content_type="image/svg+xml")


@require_POST
@portal_view
def delete_all(request: HttpRequest) -> HttpResponse:
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
    return redirect(reverse("portal", kwargs={"org": request.organization.slug}))


@require_POST
@portal_view
def code_logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("portal", org=request.organization.slug)
