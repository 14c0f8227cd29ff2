"""The demo's dispatch rules (派单规则): a few the command centre of a county would write, one
of them automatic, so that the rules' page and the suggestions at intake are not empty."""

from __future__ import annotations

from jieban.org.models import User
from jieban.suggestions.rules import RuleDraft, create_rule

RULES = [
    # The county seat's noise calls go to its station at once when the category is sure.
    RuleDraft("城关辖区噪音扰民 → 城关派出所", "noise", "QC-PS01", station="QC-PS01",
              dispatch_at_confidence=0.9),
    RuleDraft("东河辖区违规养犬 → 东河派出所", "dangerous_dogs", "QC-PS02", station="QC-PS02"),
    RuleDraft("涉诈核查 → 城关派出所", "fraud_check", "QC-PS01"),
    # Written, then switched off: the centre tried it and went back to choosing by hand.
    RuleDraft("交通纠纷 → 城关派出所", "traffic_dispute", "QC-PS01", enabled=False),
]  # fmt: skip


def create_dispatch_rules(admin: User) -> int:
    """The demo's rules, written by its administrator through the real action."""
    for draft in RULES:
        create_rule(draft, by=admin)
    return len(RULES)
