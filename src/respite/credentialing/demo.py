"""Demo data: one audit of an old-style form and one of its revision, to show progress over time."""

from __future__ import annotations

from respite.credentialing import readers
from respite.credentialing.models import Audit

BEFORE = """Medical Staff Application — Health Status
1. Have you ever been diagnosed with or treated for a mental, emotional or nervous disorder?   Yes  No
2. Within the past five years, have you been hospitalized for a psychiatric condition?   Yes  No
3. Have you ever been treated for alcohol or drug dependence?   Yes  No
4. Do you have any condition that could affect your ability to exercise the privileges requested?   Yes  No
5. Has your license to practice in any jurisdiction ever been revoked, suspended or restricted?   Yes  No
"""

AFTER = """Medical Staff Application — Health Status
We encourage every physician to seek care when they need it. Physicians in treatment, or in good standing
with the physician health program, may answer "no" (safe haven).
1. Are you currently suffering from any condition for which you are not being appropriately treated that
impairs your judgment or that would otherwise adversely affect your ability to practice medicine in a
competent, ethical, and professional manner?   Yes  No
2. Has your license to practice in any jurisdiction ever been revoked, suspended or restricted?   Yes  No
"""


def load(orgs: list) -> None:
    org = orgs[0]
    if Audit.objects.for_organization(org).exists():
        return
    Audit.do_create(
        organization=org,
        title="Medical staff application (2023)",
        form=readers.read_text(BEFORE),
        user=None,
    )
    audit = Audit.do_create(
        organization=org,
        title="Medical staff application (revised)",
        form=readers.read_text(AFTER),
        user=None,
    )
    audit.supportive_language = audit.safe_haven = True
    audit.save(update_fields=["supportive_language", "safe_haven"])
