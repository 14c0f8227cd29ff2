"""The categories every bureau starts with; administrators edit them afterwards."""

from __future__ import annotations

from typing import Any

# code, Chinese name, English name, parent, working days, practical matter for residents
DEFAULT_CATEGORIES = [
    ("noise", "噪音扰民", "Noise disturbance", None, 5, True),
    ("renovation_noise", "装修噪音", "Renovation noise", "noise", 5, True),
    ("dangerous_dogs", "违规养犬", "Dogs kept dangerously", None, 5, True),
    ("traffic_dispute", "交通纠纷", "Traffic disputes", None, 5, False),
    ("neighbour_dispute", "邻里纠纷", "Neighbour disputes", None, 5, False),
    ("family_dispute", "家庭纠纷", "Family disputes", None, 5, False),
    ("business_dispute", "经营纠纷", "Business disputes", None, 5, False),
    ("property_dispute", "物业纠纷", "Property-management disputes", None, 5, True),
    ("consultation", "咨询", "Consultations", None, 3, True),
    ("consultation_id_card", "身份证办理咨询", "ID card consultations", "consultation", 3, True),
    (
        "consultation_household",
        "户籍咨询",
        "Household registration consultations",
        "consultation",
        3,
        True,
    ),
    ("fraud_check", "涉诈核查", "Fraud checks", None, 3, False),
    ("other", "其他", "Other", None, 5, False),
]


def create_default_categories(category_model: Any) -> None:
    """Create the shipped categories that are missing; `category_model` may be a historical one."""
    by_code: dict[str, Any] = {}
    for code, name, name_en, parent, days, practical in DEFAULT_CATEGORIES:
        by_code[code], _created = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "parent": by_code[parent] if parent else None,
                "deadline_days": days,
                "practical": practical,
            },
        )
