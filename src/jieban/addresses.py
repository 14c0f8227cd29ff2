"""Chinese addresses as residents say them, read into comparable parts.

A caller says 城关镇幸福小区3栋502, the next 幸福小区三栋, a third 幸福小区3号楼五楼: one building.
`read_address` takes such a text apart: the place (the estate, village or street and its
number, with the administrative divisions before it dropped), the building, the unit, the
floor and the room, every number in Arabic digits. Two texts name the same building when
their `building_key`s are equal, the same home when their `home_key`s are. Nothing here reads
the database: the intake keys tickets by it, the community network matches buildings by it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Chinese numerals as residents write them in addresses (两 as in 两栋; 〇 and 零 as zero).
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千]+")

# Administrative divisions written before the place: dropped, since one caller names them
# and the next does not. 区 only as a district: 小区, 社区, 园区 and their kin are places.
_DIVISION = re.compile(
    r"^.{1,12}?(?:自治区|自治州|特别行政区|省|市|县|旗|镇|乡|街道办事处|街道"
    r"|(?<![小社园校景苑厂矿营片新])区)"
)
# Punctuation and spaces carry nothing; a hyphen between numbers is kept (3-2-502).
_NOISE = re.compile(r"[\s,，。.、;；:：'\"“”‘’()（）\[\]【】《》<>]+")
# What follows the place: the building, the unit, the floor and the room, in that order.
_PARTS = re.compile(
    r"(?:(?P<building>\d+)(?:号楼|号栋|号幢|栋|幢|座|#楼|#))?"
    r"(?:(?P<unit>\d+)单元)?"
    r"(?:(?P<floor>\d+)(?:楼|层))?"
    r"(?:(?P<room>\d+)(?:室|号|户)?)?$"
)
# The short form 3-2-502 (building, unit, room) or 3-502 (building, room).
_DASHED = re.compile(r"(?P<building>\d+)-(?:(?P<unit>\d+)-)?(?P<room>\d+)(?:室|号)?$")
# A street number (解放路12号) belongs to the place, not to a room.
_STREET_NUMBER = re.compile(r"(?:路|街|巷|道|弄|里|村|组)\d+号$")


@dataclass(frozen=True)
class Address:
    """An address's parts, every number in Arabic digits; a part not said is empty."""

    place: str
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""

    @property
    def building_key(self) -> str:
        """The same for every way of writing one building (or one place, without a building)."""
        if not self.place:
            return ""
        return f"{self.place}#{self.building}" if self.building else self.place

    @property
    def home_key(self) -> str:
        """The same for every way of writing one home: the building, its unit and room."""
        if not self.place:
            return ""
        return "|".join((self.building_key, self.unit, self.room or self.floor))


def chinese_number(text: str) -> int:
    """十二 → 12, 二十三 → 23, 一百零五 → 105, 三〇二 → 302 (said digit by digit)."""
    if not any(char in _UNITS for char in text):
        return int("".join(str(_DIGITS[char]) for char in text))
    total, digit = 0, 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (digit or 1) * _UNITS[char]
            digit = 0
    return total + digit


def _arabic(text: str) -> str:
    return _NUMERAL.sub(lambda match: str(chinese_number(match.group())), text)


def _without_divisions(text: str) -> str:
    while (match := _DIVISION.match(text)) and len(match.group()) < len(text):
        text = text[match.end() :]
    return text


def read_address(text: str) -> Address:
    """The parts of an address as a resident wrote it; an empty address has an empty place."""
    flat = _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    flat = _without_divisions(_arabic(flat))
    if not flat:
        return Address(place="")
    dashed = _DASHED.search(flat)
    if dashed and dashed.start() > 0:
        return Address(
            place=flat[: dashed.start()],
            building=_number(dashed["building"]),
            unit=_number(dashed["unit"]),
            room=_number(dashed["room"]),
        )
    for start in _starts(flat):
        parts = _PARTS.fullmatch(flat, start)
        if parts and start > 0 and any(parts.groupdict().values()):
            place = flat[:start]
            if parts["room"] and not parts["building"] and _STREET_NUMBER.search(flat):
                return Address(place=flat)
            return Address(
                place=place,
                building=_number(parts["building"]),
                unit=_number(parts["unit"]),
                floor=_number(parts["floor"]),
                room=_number(parts["room"]),
            )
    return Address(place=flat)


def _starts(flat: str) -> list[int]:
    """Where the building-unit-floor-room tail may begin: at each run of digits, the first
    run first, so that the place is as short as the tail allows."""
    return [match.start() for match in re.finditer(r"(?<!\d)\d", flat)]


def _number(value: str | None) -> str:
    return str(int(value)) if value else ""
