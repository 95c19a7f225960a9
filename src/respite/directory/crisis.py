"""Crisis intent in a directory search: does this query come from (or about) someone at risk?

Two detectors, either one fires:

1. **Patterns** over a normalized query (lower case, accents folded, apostrophes dropped, so
   "Don't", "dont" and "don’t" read the same), in English and Spanish: inflections ("kill",
   "killing", "killed"), negations ("don't want to live", "no quiero vivir"), and third-person
   phrasing for a colleague in crisis ("my coworker wants to kill himself", "se quiere quitar la vida").
2. **Meaning**: the static model2vec model (English) compares the query, with Spanish words expanded
   through the directory glossary, to crisis exemplars; a cosine at or above
   :data:`SEMANTIC_THRESHOLD` fires. The threshold was chosen on ``data/crisis_phrasings.yaml``
   by :func:`choose_threshold` (see ``tests/test_crisis.py``, which prints the figures).

A missed crisis is worse than a false alarm, so the patterns are deliberately broad; a false alarm
only puts crisis lines above the other results. Nothing here stores or logs the query.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from respite.core.datafiles import load_yaml
from respite.core.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:  # imported on the first check, not when start-up validates the phrasings file
    np = lazy_module("numpy")

PHRASINGS_PATH = Path(__file__).resolve().parent / "data" / "crisis_phrasings.yaml"
_PHRASINGS = {  # phrasings in English and in Spanish
    "type": "object",
    "properties": {
        "en": {"type": "array", "items": {"type": "string"}},
        "es": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["en", "es"],
    "additionalProperties": False,
}
PHRASINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "crisis": _PHRASINGS,
        "benign": _PHRASINGS,
    },
    "required": ["crisis", "benign"],
    "additionalProperties": False,
}

# Chosen by choose_threshold() on data/crisis_phrasings.yaml: the lowest cosine at which the
# meaning detector alone stays within the false-alarm budget on the benign phrasings.
SEMANTIC_THRESHOLD = 0.6
FALSE_ALARM_BUDGET = 0.05  # for the meaning detector alone; the test allows 10% for both together

# Exemplars for the meaning detector: short, plain statements of risk (English, the model's language).
EXEMPLARS = [
    "I want to kill myself",
    "I want to die",
    "I want to end my life",
    "I don't want to live anymore",
    "I am thinking about suicide",
    "I have suicidal thoughts",
    "I want to hurt myself",
    "I have been cutting myself",
    "self harm",
    "I wish I was dead",
    "everyone would be better off without me",
    "I can't go on living",
    "I have a plan to end it",
    "I am going to take all my pills",
    "there is no reason to live",
    "I want to disappear forever and never wake up",
    "my coworker wants to kill himself",
    "my colleague is talking about suicide",
]


def normalize(text: str) -> str:
    """Lower case, accents folded, apostrophes dropped, anything else that is not a letter or digit
    becomes one space: "Don’t  want to LIVE!" -> "dont want to live"."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[^a-z0-9ñ]+", " ", text)
    return text.strip()


_SELF = r"(?:my|him|her|them|your|one|our)sel(?:f|ves)"
_POSS = r"(?:my|his|her|their|your|our)"
_WANT = (
    r"(?:want|wants|wanted|wanting|wanna|wish|wishes|wishing|going|gonna|plan|plans|planning|"
    r"ready|tempted|thinking about|thinking of|thought about|think about|about|trying|tried|try)"
)
_PATTERNS_EN = [
    r"\bsuicid\w*",
    r"\bsucid\w*|\bsuicdal\b|\bsuiside\w*",  # common misspellings
    rf"\b(?:kill|kills|killing|killed)\s+{_SELF}\b",
    r"\bkms\b|\bkys\b|\bunalive\w*",
    rf"\b(?:end|ends|ending|ended|take|takes|taking|took)\s+{_POSS}\s+(?:own\s+)?li(?:fe|ves)\b",
    r"\b(?:end|ending|ended)\s+it\s+all\b|\bend\s+(?:it|things)\s+(?:tonight|today|now|for good)\b",
    rf"\b{_WANT}\s+(?:to\s+)?(?:die|dying|be dead)\b",
    r"\b(?:i|he|she|they)\s+(?:want|wants)\s+to\s+die\b",
    r"\bwish\s+(?:i|he|she|they)\s+(?:was|were|could be|had)\s+(?:dead|died|never born)\b",
    r"\bbetter\s+off\s+(?:dead|without\s+(?:me|him|her|them))\b|\brather\s+be\s+dead\b",
    rf"\b(?:hurt|hurts|hurting|harm|harms|harming|cut|cuts|cutting|injure|injuring|burn|burning)"
    rf"\s+{_SELF}\b",
    r"\bself\s*(?:harm\w*|injur\w*|mutilat\w*)\b",
    r"\b(?:dont|do not|doesnt|does not|didnt|no longer|not|never)\s+(?:really\s+)?"
    r"(?:want|wants|wanna|wish)\s+to\s+(?:live|be alive|be here|exist|wake up|go on)\b",
    r"\b(?:no|nothing|not any)\s+(?:reason|reasons|point)\s+(?:to|in|for)\s+(?:live|living|go on)\b",
    r"\bnothing\s+(?:left\s+)?to\s+live\s+for\b|\bnot\s+worth\s+living\b",
    r"\b(?:tired|sick)\s+of\s+(?:living|being alive|life)\b",
    r"\bcant\s+(?:go on|keep going|keep living)\b|\bcannot\s+(?:go on|keep living)\b",
    r"\boverdos\w*|\btake\s+all\s+(?:my|the|of my)\s+pills\b",
    r"\b(?:hang|hanging|shoot|shooting|drown|drowning)\s+" + _SELF,
    r"\bjump\w*\s+(?:off|from|in front of)\s+(?:a|the)\s+(?:bridge|roof|building|train)\b",
    r"\bgo\s+to\s+sleep\s+and\s+(?:never|not)\s+wake\s+up\b",
    r"\bdisappear\s+forever\b",
    r"\b(?:crisis|emergency)\b",
    # Indirect warning signs (the C-SSRS and 988 lists): burden, goodbyes, no way out, not safe.
    r"\b(?:i am|im|feel like|i feel like)\s+(?:a|such a)\s+burden\b",
    r"\bbetter\s+off\s+if\s+(?:i|he|she)\s+(?:wasnt|werent|was not|were not)\s+(?:here|around|alive)\b",
    r"\b(?:nobody|no one|noone)\s+would\s+(?:miss|care\s+if)\b",
    r"\b(?:wrote|write|writing|left)\s+(?:a|my)\s+(?:suicide\s+)?note\s+(?:for|to)\b",
    r"\bsaid\s+(?:goodbye|my goodbyes)\s+to\b|\bgiving\s+away\s+my\s+(?:things|stuff)\b",
    r"\bno\s+way\s+out\b|\bcant\s+see\s+a\s+way\s+out\b|\bnot\s+safe\s+(?:right\s+now|from\s+myself)\b",
    r"\bwant\s+(?:it\s+all|everything)\s+to\s+(?:stop|end)\b|\bsleep\s+forever\b",
]
_SE = r"(?:me|se|te|nos)"
_QUIERO = (
    r"(?:quiero|quiere|quieres|queria|quisiera|quiera|deseo|desea|voy|va|vas|iba|pienso|piensa|"
    r"pensando|pense|intente|intento)"
)
_PATTERNS_ES = [
    r"\bsuicid\w*",
    r"\bmatar(?:me|se|te|nos)\b|\bmatandome\b|\bmatandose\b",
    rf"\b{_SE}\s+{_QUIERO}\s+(?:a\s+|en\s+)?matar\b",
    r"\bquitar(?:me|se|te)\s+la\s+vida\b|\bquitandome\s+la\s+vida\b",
    rf"\b{_SE}\s+{_QUIERO}\s+(?:a\s+)?quitar\s+la\s+vida\b",
    r"\b(?:acabar|terminar|acabo|termino|acabe|termine)\s+con\s+(?:mi|su|tu)\s+(?:propia\s+)?vida\b",
    r"\b(?:acabar|terminar)\s+con\s+todo\b",
    rf"\b{_QUIERO}\s+(?:morir|morirme|morirse|estar\s+muert[oa])\b",
    rf"\b{_SE}\s+{_QUIERO}\s+morir\b|\bmorirme\b|\bganas\s+de\s+morir\w*",
    r"\bojala\s+(?:me|se)\s+muera\b|\bojala\s+estuviera\s+muert[oa]\b",
    r"\bmejor\s+(?:estaria|estarian|estarias)?\s*(?:muert[oa]s?|sin\s+mi)\b",
    r"\bno\s+(?:quiero|quiere|quieres|tengo\s+ganas\s+de|tiene\s+ganas\s+de|deseo)\s+"
    r"(?:seguir\s+)?(?:vivir|viviendo|existir|despertar\w*|estar\s+aqui)\b",
    r"\bsin\s+ganas\s+de\s+vivir\b|\bno\s+vale\s+la\s+pena\s+vivir\b",
    r"\bno\s+tengo\s+(?:razon|razones|motivos?)\s+para\s+vivir\b|\bnada\s+por\s+(?:que|lo\s+que)\s+vivir\b",
    r"\bcansad[oa]\s+de\s+vivir\b",
    r"\b(?:hacer(?:me|se|te)|me\s+hago|se\s+hace)\s+dano\b|\blastimar(?:me|se|te)\b|"
    r"\b(?:me|se)\s+(?:quiero|quiere|voy|va)\s+(?:a\s+)?(?:lastimar|hacer\s+dano)\b",
    r"\bautolesi\w*|\bcortar(?:me|se)\s+(?:las\s+venas|los\s+brazos|la\s+piel)\b|\bme\s+corto\b",
    r"\bsobredosis\b|\btomar(?:me)?\s+todas\s+las\s+pastillas\b",
    r"\bahorcar(?:me|se)\b|\bpegar(?:me|se)\s+un\s+tiro\b|\bdisparar(?:me|se)\b",
    r"\btirar(?:me|se)\s+(?:de|del|desde|por|a|al)\b",
    r"\b(?:crisis|emergencia|urgente)\b",
    r"\bsoy\s+una\s+carga\b|\bnadie\s+me\s+extra\w+\b|\bme\s+despedi\s+de\b",
    r"\bno\s+(?:le\s+)?veo\s+(?:ninguna\s+)?salida\b|\bno\s+estoy\s+a\s+salvo\b",
    r"\b(?:quiero|quisiera)\s+desaparecer\b|\bque\s+todo\s+(?:termine|se\s+acabe)\b",
    r"\bla\s+vida\s+no\s+tiene\s+sentido\b|\bno\s+aguanto\s+mas\s+(?:la\s+vida|vivir)\b",
]
_PATTERNS = "|".join(f"(?:{p})" for p in _PATTERNS_EN + _PATTERNS_ES)

# Word combinations that name suicide but not a person at risk: a leader looking for a
# prevention programme or training. Checked only when nothing else fired.
_BENIGN_CONTEXT = (
    r"\bsuicide\s+(?:prevention|awareness|postvention|risk\s+assessment|screening)\s+"
    r"(?:program\w*|training|guide|toolkit|policy|plan\s+for|course|resources\s+for\s+(?:staff|leaders))\b"
    r"|\b(?:programa|guia|capacitacion|entrenamiento)\s+de\s+prevencion\s+del\s+suicidio\b"
    r"|\b(?:lost|losing|loss\s+of)\s+(?:a|my|our)\s+(?:\w+\s+)?(?:colleague|coworker|friend|patient|nurse|doctor|son|daughter|brother|sister|husband|wife|partner)\s+to\s+suicide\b"
    r"|\b(?:died|dead)\s+by\s+suicide\b|\bsuicide\s+(?:loss|survivors?)\b"
    r"|\b(?:murio|fallecio|muerto|muerta)\s+por\s+suicidio\b|\bperdida\s+por\s+suicidio\b"
    r"|\b(?:financial|money|housing|childcare|staffing)\s+crisis\b"
    r"|\bcrisis\s+(?:financiera|economica|de\s+vivienda)\b"
    r"|\bemergency\s+(?:childcare|child\s+care|food|fund|funds|cash|rent|assistance|housing|shelter)\b"
    r"|\b(?:fondo|ayuda|guarderia|cuidado\s+infantil|comida|alquiler|renta)\s+de\s+emergencia\b"
)


@dataclass(frozen=True)
class CrisisSignal:
    crisis: bool
    by_pattern: bool
    similarity: float  # best cosine to an exemplar; 0.0 without the model


def pattern_fires(text: str) -> bool:
    """The pattern detector alone, on raw text."""
    # "suicide prevention training" or "financial crisis" alone is not a person at risk: drop
    # those word combinations and look again at what is left.
    benign, patterns = _compiled()
    rest = benign.sub(" ", normalize(text))
    return bool(patterns.search(rest))


@functools.cache
def _compiled() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The two expressions above, compiled on the first search rather than on import: every
    process imports this module at start-up (the phrasings are a checked data file), and compiling
    them was a tenth of a second of `respite score` (issue 19)."""
    return re.compile(_BENIGN_CONTEXT), re.compile(_PATTERNS)


_exemplars: dict[int, np.ndarray] = {}


def _exemplar_matrix() -> np.ndarray | None:
    """Unit embeddings of the exemplars, for the model loaded now (tests swap it)."""
    from respite.directory.search import _encode, get_model

    model = get_model()
    if model is None:
        return None
    if id(model) not in _exemplars:
        _exemplars.clear()
        _exemplars[id(model)] = _encode(EXEMPLARS)
    return _exemplars[id(model)]


# Spanish words the model (English) needs for crisis meaning, beyond the search glossary.
_ES_HINTS = {
    "vivir": "live",
    "vida": "life",
    "desaparecer": "disappear",
    "carga": "burden",
    "salida": "way out",
    "despedi": "said goodbye",
    "termine": "end",
    "acabe": "end",
    "sentido": "meaning",
    "salvo": "safe",
    "extranaria": "would miss",
    "muera": "die",
    "muero": "die",
    "muerto": "dead",
    "muerta": "dead",
    "pastillas": "pills",
    "dano": "harm hurt",
    "lastimarme": "hurt myself",
    "quitarme": "take my",
    "quitarse": "take his",
    "puente": "bridge",
}


def english(text: str) -> str:
    """The query with Spanish words followed by their English equivalents (search glossary first)."""
    from respite.directory.search import glossary

    es_en = {**_ES_HINTS, **glossary()["es_en"]}
    words = normalize(text).split()
    out: list[str] = []
    for w in words:
        out.append(w)
        if w in es_en:
            out.append(es_en[w])
    return " ".join(out)


def similarity(text: str) -> float:
    """Best cosine between the query and a crisis exemplar (0.0 when the model is unavailable)."""
    matrix = _exemplar_matrix()
    if matrix is None or not text.strip():
        return 0.0
    from respite.directory.search import _encode

    return similarity_of(_encode([english(text)])[0])


def similarity_of(vector: np.ndarray) -> float:
    """:func:`similarity` of a query its caller has encoded already (``_encode([english(text)])``)."""
    matrix = _exemplar_matrix()
    return 0.0 if matrix is None else float(np.max(matrix @ vector))


def detect(
    text: str, *, threshold: float | None = None, vector: np.ndarray | None = None
) -> CrisisSignal:
    """Does ``text`` signal crisis? Patterns first (cheap), then meaning. ``vector``: the text
    encoded by the caller (search encodes it with its own query in one model call)."""
    if not text or not text.strip():
        return CrisisSignal(False, False, 0.0)
    by_pattern = pattern_fires(text)
    sim = similarity(text) if vector is None else similarity_of(vector)
    limit = SEMANTIC_THRESHOLD if threshold is None else threshold
    return CrisisSignal(by_pattern or sim >= limit, by_pattern, sim)


def phrasings() -> dict[str, Any]:
    data, _index = load_yaml(PHRASINGS_PATH, PHRASINGS_SCHEMA)
    return data


def _labelled() -> list[tuple[str, str, bool]]:
    data = phrasings()
    return [
        (text, lang, label == "crisis")
        for label in ("crisis", "benign")
        for lang in ("en", "es")
        for text in data[label][lang]
    ]


def choose_threshold(budget: float = FALSE_ALARM_BUDGET) -> float:
    """The lowest cosine (to two decimals) at which the meaning detector alone raises false alarms
    on at most ``budget`` of the benign phrasings: as many crises caught as the budget allows."""
    rows = _labelled()
    benign = np.array([similarity(t) for t, _lang, is_crisis in rows if not is_crisis])
    for cut in np.arange(0.30, 1.001, 0.01):
        if (benign >= cut).mean() <= budget:
            return round(float(cut), 2)
    return 1.0


def evaluate(threshold: float | None = None) -> dict[str, Any]:
    """Recall on crisis phrasings and false-alarm rate on benign ones, overall and per language,
    for the combined detector, the patterns alone and the meaning detector alone."""
    limit = SEMANTIC_THRESHOLD if threshold is None else threshold
    rows = _labelled()
    out: dict[str, Any] = {"threshold": limit, "misses": [], "false_alarms": []}
    counts: dict[str, list[int]] = {}
    for text, lang, is_crisis in rows:
        signal = detect(text, threshold=limit)
        by_meaning = signal.similarity >= limit
        for key, fired in (
            (f"combined_{lang}", signal.crisis),
            ("combined", signal.crisis),
            ("pattern", signal.by_pattern),
            ("meaning", by_meaning),
        ):
            tp_fp = counts.setdefault(key, [0, 0, 0, 0])  # crisis hits, crises, alarms, benign
            if is_crisis:
                tp_fp[0] += fired
                tp_fp[1] += 1
            else:
                tp_fp[2] += fired
                tp_fp[3] += 1
        if is_crisis and not signal.crisis:
            out["misses"].append(text)
        if not is_crisis and signal.crisis:
            out["false_alarms"].append(text)
    for key, (hits, crises, alarms, benign) in counts.items():
        out[key] = {
            "recall": hits / crises,
            "false_alarm_rate": alarms / benign,
            "crises": crises,
            "benign": benign,
        }
    return out
