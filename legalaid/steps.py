"""The order of a case's dated steps: each present step on or after the nearest earlier present one.

applied ≤ decided ≤ assigned ≤ first contact ≤ ended ≤ closure submitted ≤ return visit, the order the
Legal Aid Law's procedure follows; ``last_progress_on`` (the lawyer's latest report) is not before the
assignment (nor, without one, the decision or the application). ``next_hearing_on`` is the court's date,
not a step of the case, and ``limitation_on`` a deadline: neither is ordered. A missing step is skipped,
so that a case is compared as far as it has gone (``legalaid.importing._steps`` checks it). Constants only:
the demo's generator imports them without loading the importer.
"""

from __future__ import annotations

STEPS = (
    "applied_on",
    "decided_on",
    "assigned_on",
    "first_contact_on",
    "ended_on",
    "closure_submitted_on",
    "return_visit_on",
)
# Steps outside the chain, each compared with the nearest present step it must not precede.
NOT_BEFORE = {"last_progress_on": ("assigned_on", "decided_on", "applied_on")}
