"""The credentialing-question auditor: segmentation, classification and suggested wording.

Model-free and database-free so the command line, the API, the staff pages and the tests share it.
Rules, not a trained model: every verdict comes with reasons a person can check against the text
(see data/vocabulary.yaml), and each rule is a small lexicon of paraphrases rather than one wording.

The verdicts follow the FSMB (2018) recommendation and the Wellbeing First Champion criteria: a
health question is acceptable only when it asks about *current* impairment of the ability to
practice, of *any* cause, without fine print. Asking about the past, about diagnosis or treatment,
singling out mental health or substance use, or asking the applicant to predict the future makes it
intrusive. Questions that are not about health at all (criminal history, malpractice, discipline)
are ``other``. When the rules are unsure, they lean to ``intrusive``: a wrongly flagged question
costs a reviewer a minute; a missed one keeps a clinician from care.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from respite.core.datafiles import DataFileError, load_yaml

Label = Literal["intrusive", "acceptable", "other"]
LABELS: tuple[Label, ...] = ("intrusive", "acceptable", "other")
VOCABULARY = Path(__file__).parent / "data" / "vocabulary.yaml"

_TEXT = {
    "type": "object",
    "properties": {
        "en": {"type": "string", "minLength": 1},
        "es": {"type": "string", "minLength": 1},
    },
    "required": ["en", "es"],
}
_SCHEMA = {
    "type": "object",
    "required": ["reasons", "suggestion", "professions"],
    "properties": {
        "reasons": {
            "type": "object",
            "additionalProperties": {
                "allOf": [
                    _TEXT,
                    {
                        "type": "object",
                        "required": ["label"],
                        "properties": {"label": {"enum": list(LABELS)}},
                    },
                ]
            },
        },
        "suggestion": {
            "allOf": [
                _TEXT,
                {
                    "type": "object",
                    "properties": {
                        "en": {"pattern": r"\{practice\}"},
                        "es": {"pattern": r"\{practice\}"},
                    },
                },
            ]
        },
        "professions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name", "practice", "patterns"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z_]+$"},
                    "name": _TEXT,
                    "practice": _TEXT,
                    "patterns": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Vocabulary:
    reasons: dict[str, dict[str, str]]
    suggestion: dict[str, str]
    professions: dict[str, dict[str, Any]]  # id -> {name, practice, patterns (compiled)}

    @property
    def default_profession(self) -> str:
        return next(iter(self.professions))


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The reasons, the suggested question and the professions, validated once per process."""
    data, index = load_yaml(VOCABULARY, _SCHEMA)
    professions = {}
    for i, prof in enumerate(data["professions"]):
        try:
            compiled = [re.compile(p, re.IGNORECASE) for p in prof["patterns"]]
        except re.error as exc:
            raise DataFileError(
                VOCABULARY,
                index.get(("professions", i, "patterns")),
                f"professions/{i}: bad pattern: {exc}",
            ) from exc
        professions[prof["id"]] = {**prof, "patterns": compiled}
    needed = {
        "asks_past",
        "diagnosis_or_treatment",
        "singles_out_mental_health",
        "predicts_future",
        "fine_print",
        "substance_use_history",
        "condition_not_impairment",
        "current_impairment_any_cause",
        "not_about_health",
    }
    missing = needed - set(data["reasons"])
    if missing:
        raise DataFileError(
            VOCABULARY, index.get(("reasons",)), f"reasons: missing {sorted(missing)}"
        )
    return Vocabulary(data["reasons"], data["suggestion"], professions)


def _lang(lang: str | None) -> str:
    return "es" if (lang or "en")[:2] == "es" else "en"


def reason_text(reason_id: str, lang: str = "en") -> str:
    return vocabulary().reasons[reason_id][_lang(lang)]


def profession_name(profession: str, lang: str = "en") -> str:
    return vocabulary().professions[profession]["name"][_lang(lang)]


def suggestion(profession: str | None = None, lang: str = "en") -> str:
    """The FSMB recommended question, with "practice medicine" adapted to the profession."""
    vocab = vocabulary()
    prof = vocab.professions.get(profession or "", vocab.professions[vocab.default_profession])
    lang = _lang(lang)
    return " ".join(vocab.suggestion[lang].split()).replace("{practice}", prof["practice"][lang])


# --- Profession ------------------------------------------------------------------------------


def profession_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for pid, prof in vocabulary().professions.items():
        n = sum(len(p.findall(text)) for p in prof["patterns"])
        if n:
            counts[pid] = n
    return counts


def detect_profession(text: str, default: str | None = None) -> str:
    """The profession a form (or a question) is written for: the one it names most often.

    Physicians are FSMB's default, and a tie goes to the other profession, so a pharmacy board's
    form that mentions "physicians" as often as "pharmacists" still gets the pharmacy wording.
    """
    vocab = vocabulary()
    counts = profession_counts(text)
    if not counts:
        return default or vocab.default_profession
    return max(counts.items(), key=lambda kv: (kv[1], kv[0] != vocab.default_profession))[0]


def _question_profession(text: str, default: str) -> str:
    """A question that says "practice nursing" keeps that wording, whatever the rest of the form
    names; a passing mention ("told by a physician") does not change it."""
    lowered = " ".join(text.lower().split())
    for pid, prof in vocabulary().professions.items():
        if prof["practice"]["en"] in lowered:
            return pid
    return default


# --- Classification --------------------------------------------------------------------------


class _Rx:
    """A pattern (case-blind unless told otherwise), compiled on first use. Every process imports
    this module at start-up (the vocabulary is a checked data file) but few ever audit a form, and
    compiling this module's patterns was about a tenth of the CPU of `respite score` (issue 19)."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = re.IGNORECASE) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:  # two threads may both compile it: the same pattern either way
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def search(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(string, pos)

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(string, pos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def finditer(self, string: str, pos: int = 0) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos)


def _rx(pattern: str) -> _Rx:
    return _Rx(pattern)


# Profession names that contain health words ("practice psychology", "licensed professional
# counselor") are masked first, so they do not read as questions about treatment.
_PROFESSION_PHRASES = _rx(
    r"\b(?:practice (?:of )?|practicing |licensed |board of |license (?:as an? |in |to practice )?)"
    r"(?:psychology|psychologists?|professional counsel(?:l)?(?:ing|ors?)|mental health counsel(?:l)?(?:ing|ors?)"
    r"|(?:physical|occupational|respiratory|massage|marriage and family) therap(?:y|ists?)|social work|counsel(?:l)?ing)\b"
    r"|\b(?:psychology|counseling|therapy|social work) (?:board|licen\w+|certification|registration)\b"
    r"|\bas an? (?:psychologist|counsel(?:l)?or|therapist|psychiatric nurse)\b"
    r"|\b(?:internal|family|emergency|sports|addiction|preventive|nuclear|physical|rehabilitation|occupational|pain"
    r"|sleep|hospital|critical care|pediatric|osteopathic|school of|board of|department of|college of|doctor of"
    r"|practice of|practice|practicing|to practi[cs]e) medicine\b|\bmedicine (?:board|license|licensure)\b"
    r"|\baddiction psychiatry\b|\b(?:residency|fellowship|board certification|certified|specialty) in psychiatry\b"
)
_LICENSE_CONDITIONS = _rx(
    r"\bconditions? (?:on|upon|placed|imposed|attached|to (?:your|the|a) (?:license|registration|certificate|privileges))\b"
    r"|\bconditions? of (?:your |the |a )?(?:probation|license|licensure|registration|certificat\w+|privileges|board|order"
    r"|agreement|consent|employment|practice|reinstatement|appointment)\b|\b(?:terms|restrictions?|limitations?|probation)"
    r",? (?:or|and|and/or) conditions?\b|\bconditions?,? (?:or|and|and/or) (?:restrictions?|limitations?|terms|probation)\b"
    r"|\bsubject to (?:any )?conditions?\b|\bconditional (?:license|privileges|registration)\b|\b(?:working|practice) conditions\b"
)
_NOT_TREATED = _rx(
    r"\b(?:for which )?(?:you are |you're )?not (?:currently )?(?:being |receiving )?(?:appropriately |adequately |properly )?"
    r"(?:treated|treatment|managed)\b|\buntreated\b|\bwithout (?:appropriate |adequate )?treatment\b"
)
_NOT_SUBSTANCE = _rx(
    r"\b(?:controlled substances?|drugs?|dea|narcotics?|opioids?)\s+(?:registrations?|certificates?|permits?|licen[cs]es?"
    r"|schedules?|prescri\w+|authori\w+|number|inventor\w+|records?|laws?|act|regulations?|screens?|screening|tests?|testing)\b"
    r"|\bdrug enforcement (?:administration|agency)\b|\bfood and drug administration\b"
    r"|\b(?:legitimate|therapeutic|medical) purposes?\b|\bprescrib\w* for (?:use|yourself|themselves)\b"
    r"|\b(?:prescrib|dispens|administer|distribut|divert)(?:e|es|ing|ion|ed by you) (?:of |any )?(?:\w+ )?(?:controlled substances?|drugs?|narcotics?|opioids?|medications?)\b"
    r"|\b(?:medication|drug) (?:errors?|administration|diversion)\b"
    r"|\b(?:theft|thefts|diversion|diverting|steal\w*|stole|possession|possessing|sale|sell\w*|distribution|trafficking"
    r"|smuggling|manufactur\w*) (?:of |or \w+ of )?(?:any )?(?:\w+ )?(?:drugs?|controlled substances?|narcotics?|medications?|opioids?)\b"
)
# The applicant as the one who treats: "training in the treatment of opioid use disorder".
_CLINICAL_WORK = _rx(
    r"\b(?:training|experience|certif\w*|competen\w*|expertise|speciali[sz]\w*|courses?|waiver|privileges|skills?)"
    r" (?:in|for|to provide|to perform) (?:the )?(?:treatment|management|care|diagnosis|counseling|evaluation)\b[^?.;]*"
)
_NOT_COUNSEL = _rx(
    r"\blegal counsel\b|\bcounsel for\b|\bcounsel(?:ed|ing)? (?:by|from|with) (?:an? )?(?:attorney|lawyer)\b"
)

_MENTAL = _rx(
    r"\b(?:mental(?:ly)?|emotional(?:ly)?|nervous|psychiatr\w*|psycholog\w*|psychotherap\w*|behavio(?:u)?ral health"
    r"|depress\w*|anxiety|anxious|bipolar|manic|mania|schizo\w*|psychos[ie]s|psychotic|personality disorders?"
    r"|ptsd|post-?traumatic|eating disorders?|anorexia|bulimia|adhd|attention[- ]deficit|obsessive|ocd|suicid\w*"
    r"|self-harm|mood disorders?|panic (?:attacks?|disorders?)|neuros[ie]s|neurotic|insan\w*|burn-?out|paranoi\w*"
    r"|dissociative|emotional disorders?|mentally ill)\b"
)
_SUBSTANCE = _rx(
    r"\b(?:alcohol\w*|drugs?|substances?|chemical(?:ly)? dependen\w*|addict\w*|narcotics?|opioids?|opiates?"
    r"|intoxica\w*|marijuana|cannabis|cocaine|heroin|methamphetamine|drinking|sobriety|sober|inebriat\w*"
    r"|under the influence|chemical(?:s)? use)\b"
)
_PHYSICAL = _rx(
    r"\b(?:physical(?:ly)?|medical (?:condition|problem|issue|history|reasons?|leave)|health (?:conditions?|problems?|issues?"
    r"|status|history|reasons?)|illness\w*|diseases?|disorders?|disabilit\w*|disabled|infirmit\w*|sickness|injur\w*"
    r"|neurolog\w*|seizures?|epilep\w*|cognitive|medically|ailments?)\b"
)
_CONDITION = _rx(r"\bconditions?\b")
_IMPAIR_WORD = _rx(
    r"\b(?:impair\w*|essential (?:functions|duties)|fit(?:ness)?[- ](?:to|for)[- ](?:practice|duty|work))\b"
)
_IMPAIR_FRAME = _rx(
    r"\b(?:impair\w*|adversely affect\w*|affect(?:s|ing)? (?:your|the|his|her|their) (?:ability|capacity|judgment|practice)"
    r"|interfer\w* with|limit(?:s|ing)? (?:your|the) (?:ability|capacity)|ability to (?:practice|perform|safely|function"
    r"|provide|carry out|exercise|deliver|render|care|work)|essential (?:functions|duties)|fit(?:ness)?[- ](?:to|for)[- ]"
    r"(?:practice|duty|work)|unable to (?:practice|perform|work)|(?:able|capable) (?:to|of) (?:practice|perform|practicing"
    r"|performing)|safe(?:ly)? (?:practice|perform)|compromis\w* (?:your|the)|reduces? your (?:ability|capacity))\b"
)
_TREAT_STRONG = _rx(
    r"\b(?:treat(?:ed|ment|ments|ing)?|therap(?:y|ies|ist|ists|eutic)|counsel(?:l)?(?:ing|ed|ors?)|hospitali[sz]\w*"
    r"|hospital admissions?|admitted (?:to|for) (?:a |an )?(?:hospital|facility|program|treatment|psychiatric|inpatient)"
    r"|institutionali[sz]\w*|involuntar\w* commit\w*|medications?|medicines?|prescribed|rehab\w*|detox\w*"
    r"|inpatient|outpatient|residential (?:treatment|program|care)|health program|assistance program|monitoring "
    r"(?:program|agreement|contract)|peer assistance|diversion program|alternative[- ]to[- ]discipline|recovery"
    r"|12[- ]step|twelve[- ]step|support groups?|psychotherap\w*|php|leave of absence for (?:medical|health))\b"
)
_TREAT_WEAK = _rx(
    r"\b(?:evaluat\w*|assess(?:ed|ment)|consult(?:ed|ation)?|under the care|care of an?|sought (?:help|care|assistance|advice)"
    r"|seek(?:ing)? (?:help|care|assistance|advice)|examin\w*|seen by)\b"
)
_DIAGNOSIS = _rx(
    r"\b(?:diagnos\w*|been told (?:by \w+ \w+ )?(?:that )?you (?:have|had)|suffer\w*)\b"
)
_CRIMINAL = _rx(
    r"\b(?:convict\w*|arrest\w*|charged|indict\w*|plea|pleaded|pled|nolo contendere|no contest|guilty|felon\w*"
    r"|misdemeanou?r\w*|dui|dwi|owi|driving (?:while|under)|criminal|crimes?|offen[cs]es?|parole|incarcerat\w*"
    r"|jail|prison|court[- ]martial)\b"
)
_PATIENT_CARE = _rx(
    r"\b(?:patients?|malpractice|liability|lawsuits?|claims?|settle\w*|judgments? (?:against|entered|rendered|was|were)|(?:civil|court|legal) judgments?|negligen\w*|adverse events?)\b"
)
_PAST = _rx(
    r"\b(?:ever|never|previously|prior to|formerly|history of|at any time|in the (?:past|last) (?:\w+ )?(?:\w+ )?(?:years?|months?|decade)"
    r"|within the (?:past|last)|during the (?:past|last)|in the past|since (?:the age of|age|graduat\w*|(?:medical|nursing"
    r"|professional|pharmacy|graduate) school|your (?:last|previous|initial|most recent|prior)|\d{4}|you (?:were|last|first))"
    r"|have you (?:had|been|received|used|sought|taken|consulted|experienced|undergone|required|participated|entered"
    r"|abused|suffered|engaged|needed|gone|attended|stayed|stopped|discontinued|relapsed)|has there been|had you"
    r"|you have (?:ever |previously )?(?:had|been|received|used|sought|taken|consulted|experienced|undergone|required"
    r"|participated|entered|suffered|seen)|were you|was there|did you|have there been|has an?y?\s?(?:physician|doctor|provider|health|court|board)"
    r"|since you|i have (?:ever |never )?(?:been|had|received|used|sought|taken|suffered))\b"
)
# Predicting the future: "could", "may", "will affect", "in the next two years". "Likely to impair"
# is not on this list: "a condition that is likely to impair your ability" describes a present state
# (Minnesota's 2021 question); "is it likely that ... will affect" is caught by "will".
_FUTURE = _rx(
    r"\b(?:could|may|might|will|going to|in the future|future|would be expected|expected to|possibility"
    r"|possibly|potential(?:ly)?|risk of|is it possible|predispos\w*|reasonably (?:expected|foreseeable)|at risk|foreseeable"
    r"|(?:in|during|over|within) the (?:next|coming)|is it (?:un)?likely|be (?:un)?likely)\b"
)
# A new question joined to the first: "..., or are you receiving counseling?". A diagnosis or treatment
# mentioned across such a join is not limited by the impairment clause of the other half.
_NEW_CLAUSE = _rx(
    r"[;?]|\b(?:or|and)\s+(?:do|does|are|have|has|is|did|were|was|will|would)\s+(?:you|there|any|your|it)\b"
)
# A physical or medical peer named beside mental health: the question does not single it out.
_PHYSICAL_PEER = _rx(r"\b(?:physical(?:ly)?|medical|somatic)\b")
_ANY_CAUSE = _rx(
    r"\b(?:any (?:condition|cause|reason|illness|impairment|health condition|medical condition|disorder|limitation)s?"
    r"|physical(?:ly)?,? (?:or|and|and/or) (?:mental|emotional|psycholog\w*|behavio\w*)"
    r"|(?:mental|emotional|psychological)(?:ly)?,? (?:or|and|and/or) physical|for any reason|of any (?:kind|cause|nature|type|origin)"
    r"|regardless of (?:the )?cause|whatever (?:the|its) cause|physical, (?:mental|emotional)|any other cause)\b"
)
_FINE_PRINT_REF = _rx(
    r"[\w)?]\*|\*\s*$|[†‡]|\bsee (?:the )?(?:note|notes|definitions?|footnote|instructions|glossary|attach\w*|below|above"
    r"|reverse|page|section)\b|\bas defined (?:in|below|above|on|by)\b|\bdefined (?:below|above)\b"
    r"|\bfor (?:the )?purposes? of this (?:question|section|application)\b"
)
_SAFE_HAVEN = _rx(
    r"\bsafe[- ]haven\b|\bgood standing (?:with|in) (?:a|an|the)\b|\b(?:physician|professional|practitioner|nurse|pharmacist)s?"
    r" health program\b|\byou may (?:answer|respond) [\"']?no\b|\bneed not (?:disclose|report|answer)\b|\bdo(?:es)? not need to disclose\b"
)
_SUPPORTIVE = _rx(
    r"\bseeking (?:help|care|treatment|support) is (?:a sign|encouraged|expected)\b|\bwe (?:encourage|support)\b"
    r"|\bencourage[sd]? (?:you|all|applicants|licensees|clinicians) to (?:seek|get|take care)\b|\bwell-?being\b"
    r"|\bconfidential (?:support|help|care|resources?)\b|\b988\b"
)


@dataclass(frozen=True)
class Verdict:
    label: Label
    reasons: tuple[str, ...]


def _normalize(text: str) -> str:
    text = (
        text.replace("’", "'")
        .replace("‘", "'")
        .replace("“", '"')
        .replace("”", '"')
        .replace("–", "-")
    )
    text = re.sub(r"\(\s*(?:yes|y)\s*/\s*(?:no|n)\s*\)", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


def _health_note(note: str) -> bool:
    """A footnote matters when it widens a health question, not when it is a safe-haven promise."""
    if _SAFE_HAVEN.search(note):
        return False
    return bool(
        _MENTAL.search(note)
        or _SUBSTANCE.search(_NOT_SUBSTANCE.sub(" ", note))
        or _DIAGNOSIS.search(note)
        or _TREAT_STRONG.search(note)
        or _PHYSICAL.search(note)
    )


def classify(text: str, notes: Sequence[str] = ()) -> Verdict:
    """Label one question and say why. ``notes`` are footnotes or definitions attached to it."""
    raw = _normalize(text)
    t = _PROFESSION_PHRASES.sub(" profession ", raw)
    t = _LICENSE_CONDITIONS.sub(" ", _CLINICAL_WORK.sub(" ", t))
    not_treated = bool(_NOT_TREATED.search(t))
    t_no_negated = _NOT_TREATED.sub(" ", t)
    t_sub = _NOT_SUBSTANCE.sub(" ", _NOT_COUNSEL.sub(" ", t_no_negated))

    mental = bool(_MENTAL.search(t_sub))
    substance = bool(_SUBSTANCE.search(t_sub))
    physical = bool(_PHYSICAL.search(t_sub))
    condition = bool(_CONDITION.search(t_sub))
    impair_word = bool(_IMPAIR_WORD.search(t_sub))
    impair_frame = bool(_IMPAIR_FRAME.search(t_sub))
    strong_treatment = bool(_TREAT_STRONG.search(t_sub))
    diagnosis = bool(_DIAGNOSIS.search(t_sub))
    if _CRIMINAL.search(t_sub) and not (mental or diagnosis or strong_treatment):
        # "convicted of driving under the influence" is a question about conduct, not health.
        substance = physical = condition = False
    if _PATIENT_CARE.search(t_sub) and not (mental or substance or impair_word or diagnosis):
        # "treatment of a patient", "injury to a patient": the care given, not the applicant's health.
        strong_treatment = physical = condition = False
    # "suffering from any condition" is FSMB's own wording; "suffer" only signals a diagnosis when
    # it comes with a named disorder.
    if (
        diagnosis
        and not re.search(r"diagnos|been told", t_sub, re.IGNORECASE)
        and not (mental or substance)
    ):
        diagnosis = False

    cue = (
        mental
        or substance
        or physical
        or strong_treatment
        or diagnosis
        or impair_word
        or (condition and (impair_frame or not_treated))
    )
    weak_treatment = cue and bool(_TREAT_WEAK.search(t_sub)) and (mental or substance)
    if not cue:
        return Verdict("other", ("not_about_health",))

    past = bool(_PAST.search(t_no_negated))
    future = bool(_FUTURE.search(t_no_negated))
    # The principle (FSMB 2018, Lorna Breen Foundation): a question may name a diagnosis or a
    # treatment as long as it is limited to a CURRENT impairment of practice. "Limited" means the
    # impairment clause governs the diagnosis/treatment words (same clause, present tense, no
    # prediction), so "are you receiving treatment for any condition that currently impairs..." passes
    # and "are you receiving counseling?" or "..., or have you been treated for..." does not.
    limited = impair_frame and not past and not future and _limited_to_impairment(t_sub)

    reasons: list[str] = []
    if past:
        reasons.append("asks_past")
    if (diagnosis or strong_treatment or (weak_treatment and past)) and not limited:
        reasons.append("diagnosis_or_treatment")
    if (mental or substance) and not (_ANY_CAUSE.search(t) or _PHYSICAL_PEER.search(t_sub)):
        reasons.append("singles_out_mental_health")
    if future:
        reasons.append("predicts_future")
    if _FINE_PRINT_REF.search(raw) or any(_health_note(n) for n in notes):
        reasons.append("fine_print")
    if substance and past:
        reasons.append("substance_use_history")
    elif substance and not limited:
        # The reason follows the question's tense: a present-tense question gets no "past use" reason.
        reasons.append("substance_use_current")
    if reasons:
        return Verdict("intrusive", tuple(reasons))
    if impair_frame:
        return Verdict("acceptable", ("current_impairment_any_cause",))
    return Verdict("intrusive", ("condition_not_impairment",))


def _limited_to_impairment(text: str) -> bool:
    """True when every diagnosis, treatment or substance word sits in the same clause as the
    impairment wording, so the question only reaches conditions that impair practice now."""
    impairment = _IMPAIR_FRAME.search(text)
    if impairment is None:
        return False
    for rx in (_TREAT_STRONG, _DIAGNOSIS, _TREAT_WEAK, _SUBSTANCE, _MENTAL):
        for m in rx.finditer(text):
            if m.start() < impairment.start():
                between = text[m.end() : impairment.start()]
            else:
                between = text[impairment.end() : m.start()]
            if _NEW_CLAUSE.search(between):
                return False
    return True


# --- Segmentation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a form as read from the file. ``boundary`` marks the start of a new block
    (a DOCX paragraph or table cell, or the line after a blank line)."""

    text: str
    location: dict[str, int]
    boundary: bool = False


@dataclass
class Segment:
    text: str
    location: dict[str, int]
    notes: list[str] = field(default_factory=list)


_BOX = _Rx(r"[☐☑☒□■▢◻◼⬜○◯●✓✔✗✘❑❒]|\[\s*[xX✓✔]?\s*\]|\(\s*[xX]?\s*\)|_{2,}|\.{4,}", 0)
_YES_NO_TAIL = _Rx(
    r"(?:[\s/|:,-]*\b(?:yes|no|y|n|s[ií]|n/a|unknown)\b\.?)+[\s/|:,-]*$", re.IGNORECASE
)
_ONLY_YES_NO = _Rx(
    r"^[\s/|:,.-]*(?:(?:yes|no|y|n|s[ií]|n/a|unknown|explain|initials?)\b[\s/|:,.-]*)*$",
    re.IGNORECASE,
)
_ENUM = _Rx(
    r"^\s*(?:(?:q(?:uestion)?\.?\s*)?\(?\d{1,3}(?:\.\d{1,2})*[.):]|\(?[a-hj-z][.)]|\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\)"
    r"|(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)]|[-–•▪◦●·➢►]|\d{1,3}\s+(?=[A-Z]))\s*",
    re.IGNORECASE,
)
_NOTE = _Rx(
    r"^\s*(?:[*†‡]+|(?:note|nb|n\.b\.)\s*[:.-]|for (?:the )?purposes? of th(?:is|ese))",
    re.IGNORECASE,
)
# Follow-ups refer back to the answer just given ("If yes, explain", "Please explain below"); an
# imperative about the applicant's own facts ("Explain any history of...") is a question of its own.
_FOLLOW_UP = _Rx(
    r"^\s*(?:if (?:yes|so|you answered|the answer|any|applicable|'yes'|\"yes\")|attach|give details"
    r"|provide (?:details|an explanation|a detailed|a written|documentation|supporting)"
    r"|(?:please )?(?:explain|describe)(?:\s+(?:the circumstances|in detail|fully|below|why|on a separate\b.*"
    r"|your (?:answer|response)s?\b.*|(?:each|any|all) (?:yes|'yes'|\"yes\"|affirmative)\b.*))?\s*[.:]?\s*$)",
    re.IGNORECASE,
)
_LEAD = _Rx(
    r"^\s*[\"'(¿]?(?:are|have|has|had|do|does|did|is|was|were|will|would|could|can|should|may|might|in the (?:past|last)"
    r"|within the|during the|since|at any time|to your knowledge|in the \w+ (?:years?|months?)|currently)\b",
    re.IGNORECASE,
)
# Questions written as instructions: "Please disclose all medications you take", "List all hospitals".
_IMPERATIVE = _Rx(
    r"^\s*(?:please\s+)?(?:disclose|list|describe|provide|explain|identify|indicate|give|specify|enumerate"
    r"|(?:state|name|report|detail|document) (?:whether|if|your|the|any|all|each|every))\b",
    re.IGNORECASE,
)
# Instructions about filling in the form are not questions: "Please answer each question.",
# "Please indicate yes or no for each item below.", "Print or type."
_INSTRUCTION = _Rx(
    r"^\s*(?:please\s+)?(?:answer|complete|read|sign|print|type|attach|return|submit|mail|use|mark|check|tick|initial"
    r"|date|contact|call|refer|see|note|continue|proceed|fill|keep|enclose|include|make|write|do not|don't|be sure"
    r"|remember|review|select|choose|circle|allow)\b",
    re.IGNORECASE,
)
_FORM_OBJECT = _Rx(
    r"\b(?:each|every|all|the following|these|this|all of the|any of the) (?:questions?|items?|sections?|boxes|fields"
    r"|pages?)\b|\b(?:this|the) (?:form|application|page|section|questionnaire)\b|\binformation (?:requested|below|above)\b"
    r"|\bin (?:black|blue) ink\b|\b(?:yes|no) (?:or|and|/) (?:yes|no)\b|\bbelow\s*[.:]?\s*$",
    re.IGNORECASE,
)
# The attestation model ("I attest that I am not currently impaired...") counts when it is about health.
_ATTEST = _Rx(
    r"^\s*i (?:hereby )?(?:attest|certify|affirm|declare|confirm|acknowledge)\b", re.IGNORECASE
)
_ABBREV = _Rx(
    r"\b(?:e\.g|i\.e|etc|dr|mr|ms|mrs|no|vs|u\.s|st|jr|sr|inc|approx|incl)\.$", re.IGNORECASE
)
_SENTENCE_END = _Rx(r"(?<=[?!.])\s+(?=[\"'(¿]?[A-Z0-9])", 0)
_INLINE_ENUM = _Rx(r"(?<=[?.:;])\s+(?=\(?(?:[a-h]|\d{1,2}|i{1,3}|iv|v|vi{1,3})[.)]\s+[A-Z])", 0)


def _clean(text: str) -> str:
    text = _BOX.sub(" ", text)
    text = " ".join(text.split())
    if _ONLY_YES_NO.match(text):
        return ""
    stripped = _YES_NO_TAIL.sub("", text)
    # Only drop a Yes/No tail after a question mark or a box: "...answer yes or no" keeps its words.
    tail = text[len(stripped) :]
    if stripped != text and (
        stripped.rstrip("*†‡ ").endswith(("?", ")", ":"))
        or re.search(r"\b(?:yes|y|s[ií])\b.*\b(?:no|n)\b", tail, re.IGNORECASE)
    ):
        text = stripped.rstrip(" :-")
    return text


def _looks_like_heading(text: str) -> bool:
    words = text.split()
    if not words or len(words) > 8 or text.endswith(("?", ".", ",", ";")):
        return False
    letters = [w for w in words if w[:1].isalpha()]
    return text.isupper() or all(
        w[:1].isupper() or w.lower() in {"and", "of", "or", "the", "for", "in", "to"}
        for w in letters
    )


def _units(lines: Iterable[Line]) -> list[Segment]:
    """Group lines into blocks: numbered items, paragraphs, cells, with wrapped lines rejoined."""
    units: list[Segment] = []
    cur: Segment | None = None
    pending_boundary = False
    for line in lines:
        text = _clean(line.text)
        if not text:
            pending_boundary = True  # a blank line or a lone Yes/No box closes the item
            continue
        new = (
            cur is None
            or line.boundary
            or pending_boundary
            or bool(_ENUM.match(text))
            or bool(_NOTE.match(text))
            or bool(_FOLLOW_UP.match(text))
            # "Print or type." after an unpunctuated line starts a new block, not the question's tail.
            or (bool(_INSTRUCTION.match(text)) and text[:1].isupper())
        )
        if not new and cur is not None:
            prev = cur.text
            if (
                prev.endswith(("?", ".", ":", ";"))
                and (text[:1].isupper() or text[:1] in "(¿\"'")
                or _looks_like_heading(prev)
                and text[:1].isupper()
            ):
                new = True
        pending_boundary = False
        if new or cur is None:
            cur = Segment(text, dict(line.location))
            units.append(cur)
        elif cur.text.endswith("-") and text[:1].islower():
            cur.text = cur.text[:-1] + text
        else:
            cur.text = f"{cur.text} {text}"
    return units


def _sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and _ABBREV.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


def _is_question(sentence: str) -> bool:
    body = sentence.rstrip(" *†‡")
    if _ATTEST.match(sentence):
        return classify(sentence).label != "other"
    if _INSTRUCTION.match(sentence):
        return False
    if _IMPERATIVE.match(sentence):
        # A heading ("STATE BOARD OF PHARMACY", "List of Hospitals") is not an instruction to answer.
        return not (_FORM_OBJECT.search(sentence) or _looks_like_heading(sentence))
    return body.endswith("?") or bool(_LEAD.match(sentence))


def segment(lines: Iterable[Line]) -> list[Segment]:
    """The questions of a form, in order, with follow-ups ("If yes, explain") and footnotes
    attached to the question they belong to."""
    questions: list[Segment] = []
    last: Segment | None = None
    for unit in _units(lines):
        if _NOTE.match(unit.text):
            marker = re.match(r"\s*([*†‡]+)", unit.text)
            # "* For purposes of this question..." belongs to the question carrying the asterisk.
            owner = next(
                (q for q in reversed(questions) if marker and marker.group(1) in q.text), last
            )
            if owner is not None:
                owner.notes.append(unit.text.lstrip("*†‡ ").strip())
            continue
        for item in _INLINE_ENUM.split(unit.text):
            item = _ENUM.sub("", item, count=1).strip()
            for sentence in _sentences(item):
                if _FOLLOW_UP.match(sentence) and last is not None:
                    last.text = f"{last.text} {sentence}"
                elif _is_question(sentence) and len(sentence.split()) >= 3:
                    last = Segment(sentence, dict(unit.location))
                    questions.append(last)
                elif last is not None and not last.text.endswith("?") and sentence[:1].islower():
                    last.text = f"{last.text} {sentence}"
    return questions


# --- The audit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    text: str
    location: dict[str, int]
    label: Label
    reasons: tuple[str, ...]
    profession: str
    notes: tuple[str, ...] = ()

    def suggestion(self, lang: str = "en") -> str | None:
        return suggestion(self.profession, lang) if self.label == "intrusive" else None

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "text": self.text,
            "location": self.location,
            "label": self.label,
            "reasons": [{"id": r, "text": reason_text(r, lang)} for r in self.reasons],
            "suggestion": self.suggestion(lang),
            "profession": self.profession,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Champion:
    """What the form's own text shows toward the Champion checklist (a hint, not a verdict)."""

    intrusive_removed: bool
    supportive_language: bool
    safe_haven: bool


def champion_hints(lines: Sequence[Line], findings: Sequence[Finding]) -> Champion:
    text = " ".join(line.text for line in lines)
    return Champion(
        intrusive_removed=not any(f.label == "intrusive" for f in findings),
        supportive_language=bool(_SUPPORTIVE.search(text)),
        safe_haven=bool(_SAFE_HAVEN.search(text)),
    )


def audit(lines: Sequence[Line], profession: str | None = None) -> list[Finding]:
    """Segment and classify a whole form. ``profession`` overrides detection when given."""
    lines = list(lines)
    form_profession = profession or detect_profession(" ".join(line.text for line in lines))
    findings = []
    for seg in segment(lines):
        verdict = classify(seg.text, seg.notes)
        prof = profession or _question_profession(seg.text, form_profession)
        findings.append(
            Finding(seg.text, seg.location, verdict.label, verdict.reasons, prof, tuple(seg.notes))
        )
    return findings


def text_lines(text: str) -> list[Line]:
    """Pasted or .txt text as lines: form feeds start pages, blank lines separate paragraphs."""
    lines: list[Line] = []
    for page_no, page in enumerate(
        text.replace("\r\n", "\n").replace("\r", "\n").split("\f"), start=1
    ):
        paragraph, blank = 0, True
        for line_no, raw in enumerate(page.split("\n"), start=1):
            if not raw.strip():
                blank = True
                continue
            if blank:
                paragraph += 1
            loc = {"paragraph": paragraph, "line": line_no}
            if "\f" in text:
                loc = {"page": page_no, **loc}
            cells = [c for c in re.split(r"\t|\s*\|\s*", raw) if c.strip()]
            if len(cells) > 1:  # a table pasted as tabs or drawn with pipes: one cell per block
                for cell_no, cell in enumerate(cells, start=1):
                    lines.append(Line(cell, {**loc, "cell": cell_no}, boundary=True))
            else:
                lines.append(Line(raw, loc, boundary=blank))
            blank = False
    return lines


def audit_text(text: str, profession: str | None = None) -> list[Finding]:
    return audit(text_lines(text), profession)
