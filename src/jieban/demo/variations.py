"""How a matter is told again (重复反映): the demo's repeat reports say the address and the
words another way, as callers do (三栋, 3号楼, 3栋; with or without the county and town; a
neighbour calling instead of the first resident), so that the suggestions of earlier reports
are measured on something harder than a copy (bench/repeats.py)."""

from __future__ import annotations

import random
import re

# Said before the complaint by someone calling again.
OPENINGS = [
    "此前已反映（工单{number}），问题仍未解决，再次来电要求尽快处理。",
    "之前打过电话反映过，到现在还没解决。",
    "再次反映：",
    "上周已经反映过一次，",
    "",
]
# Words callers use for one another.
SYNONYMS = [
    ("噪音", "噪声"),
    ("晚上", "夜里"),
    ("严重影响", "影响"),
    ("请求", "希望"),
    ("请", "麻烦"),
    ("尽快", "赶紧"),
    ("很大", "特别大"),
    ("多次", "好几次"),
    ("无法", "没法"),
    ("附近", "旁边"),
]
CHINESE_DIGITS = "零一二三四五六七八九"

_BUILDING = re.compile(r"(\d+)栋")
_COUNTY = re.compile(r"^青川县")
_TOWN = re.compile(r"^青川县[^镇乡]{1,6}[镇乡]")
_ROOM = re.compile(r"(\d+)单元(\d+)室$")


def _chinese(number: int) -> str:
    """3 → 三, 12 → 十二, 18 → 十八 (as residents say building numbers)."""
    if number < 10:
        return CHINESE_DIGITS[number]
    tens, ones = divmod(number, 10)
    return (
        ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")
    )


def varied_address(address: str, rng: random.Random) -> str:
    """The same place written another way: the building as 3号楼, 三栋, 3幢 or 3栋; the county,
    or the county and town, left out; sometimes only the building without unit and room."""
    choice = rng.random()
    if choice < 0.35:
        varied = _TOWN.sub("", address)
    elif choice < 0.7:
        varied = _COUNTY.sub("", address)
    else:
        varied = address

    def building(match: re.Match[str]) -> str:
        number = int(match.group(1))
        form = rng.choice(("{n}号楼", "{c}栋", "{n}幢", "{n}栋", "{c}号楼"))
        return form.format(n=number, c=_chinese(number))

    varied = _BUILDING.sub(building, varied, count=1)
    if rng.random() < 0.25:
        varied = _ROOM.sub("", varied)
    elif rng.random() < 0.3:
        varied = _ROOM.sub(lambda match: f"{match.group(1)}单元{match.group(2)}", varied)
    return varied


def varied_words(content: str, address: str, new_address: str, rng: random.Random) -> str:
    """The same complaint told again: the address as now said, some words exchanged for
    their kin, and sometimes only the first sentences."""
    text = content.replace(address, new_address)
    for word, other in SYNONYMS:
        if word in text and rng.random() < 0.5:
            text = text.replace(word, other)
    sentences = [part for part in re.split(r"(?<=[，。；！])", text) if part]
    if len(sentences) > 2 and rng.random() < 0.4:
        text = "".join(sentences[: len(sentences) - 1]).rstrip("，") + "。"
    return text


def opening(number: str, rng: random.Random) -> str:
    """What a caller says first when calling again."""
    return rng.choice(OPENINGS).format(number=number)
