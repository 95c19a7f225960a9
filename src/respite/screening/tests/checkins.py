"""Check-in forms as a worker fills them in (field ``<instrument>__<item>``), for tests of any app."""

from __future__ import annotations

# Low scores on every screen: a self-care result.
LOW = {
    "phq2__1": 0,
    "phq2__2": 0,
    "gad2__1": 0,
    "gad2__2": 0,
    "burnout__1": 1,
    "selfharm__9": 0,
}
# A positive PHQ-2 (4 of 6), GAD-2 of 2, no self-harm: the moderate path of the browser tests.
MODERATE = {
    "phq2__1": 2,
    "phq2__2": 2,
    "gad2__1": 1,
    "gad2__2": 1,
    "burnout__1": 3,
    "selfharm__9": 0,
}
