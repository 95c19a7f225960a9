"""What the answer page posts, built the way a browser would."""

from __future__ import annotations

from respite.assessments import frameworks

_all_in = frameworks.get("all_in")
assert _all_in is not None, "the all_in framework file did not load"
ALL_IN: frameworks.Framework = _all_in


def answers_form(
    assessment, values: dict[str, int], notes: dict[str, str] | None = None
) -> dict[str, str]:
    """What the browser posts: every field, with the values the contributor saw as ``seen_``."""
    current = assessment.answer_map()
    data = {}
    for c in ALL_IN.criteria:
        seen = current.get(c.id)
        data[f"seen_v_{c.id}"] = "" if seen is None else str(seen.value)
        data[f"seen_n_{c.id}"] = "" if seen is None else seen.note
        data[f"v_{c.id}"] = str(values[c.id]) if c.id in values else data[f"seen_v_{c.id}"]
        data[f"n_{c.id}"] = (notes or {}).get(c.id, data[f"seen_n_{c.id}"])
    return data
