"""Follow-up reminders: every deadline of a legal aid case, to the person who can act, once.

``rules`` reads the rule book (``rules.toml``: deadlines, thresholds, recipients, legal basis);
``scan`` finds the due items in SQL; ``digest`` groups them per person and renders the emails;
``ledger`` records what was sent so that nothing is sent twice; ``run`` does all of it in one
transaction and is what the command line and the scheduled task call.
"""

from legalaid.reminders.rules import RULE_IDS, Rule, load_rules, load_rules_file
from legalaid.reminders.run import RunReport, run_reminders
from legalaid.reminders.scan import BRANCHES, DueItem, due_items, select_due

__all__ = [
    "BRANCHES",
    "RULE_IDS",
    "DueItem",
    "Rule",
    "RunReport",
    "due_items",
    "load_rules",
    "load_rules_file",
    "run_reminders",
    "select_due",
]
