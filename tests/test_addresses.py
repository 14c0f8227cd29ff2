"""Chinese addresses read into comparable parts (`jieban.addresses`)."""

from __future__ import annotations

import pytest

from jieban.addresses import Address, chinese_number, read_address


class TestChineseNumbers:
    @pytest.mark.parametrize(
        ("text", "number"),
        [
            ("三", 3),
            ("十", 10),
            ("十二", 12),
            ("二十", 20),
            ("二十三", 23),
            ("一百零五", 105),
            ("两", 2),
            ("三〇二", 302),
            ("五零一", 501),
            ("一千二百", 1200),
        ],
    )
    def test_it_reads_numerals_as_residents_write_them(self, text: str, number: int) -> None:
        assert chinese_number(text) == number


class TestReadAddress:
    def test_it_takes_one_building_written_three_ways_as_one(self) -> None:
        ways = ["城关镇幸福小区3栋502", "幸福小区三栋", "幸福小区3号楼五楼"]
        keys = {read_address(way).building_key for way in ways}
        assert keys == {"幸福小区#3"}

    def test_it_reads_the_parts(self) -> None:
        assert read_address("城关镇幸福小区3栋2单元502室") == Address(
            place="幸福小区", building="3", unit="2", room="502"
        )
        assert read_address("幸福小区3号楼五楼") == Address(
            place="幸福小区", building="3", floor="5"
        )
        assert read_address("幸福小区十二幢") == Address(place="幸福小区", building="12")

    def test_it_reads_the_short_dashed_form(self) -> None:
        assert read_address("幸福小区3-2-502") == Address(
            place="幸福小区", building="3", unit="2", room="502"
        )
        assert read_address("幸福小区 3-502").home_key == read_address("幸福小区3栋502").home_key

    def test_it_keeps_a_street_number_in_the_place(self) -> None:
        assert read_address("解放路12号") == Address(place="解放路12号")
        assert read_address("解放路12号3栋502") == Address(
            place="解放路12号", building="3", room="502"
        )

    def test_it_drops_the_divisions_but_keeps_a_residential_district(self) -> None:
        assert read_address("某某省某某市城关县城关镇幸福小区3栋").place == "幸福小区"
        assert read_address("城南社区4栋").place == "城南社区"
        assert read_address("河西街道办事处建设路8号").place == "建设路8号"

    def test_it_ignores_width_spaces_and_punctuation(self) -> None:
        assert read_address("幸福小区　３栋，５０２").home_key == "幸福小区#3||502"
        assert read_address("（城关镇）幸福小区3幢502") == read_address("幸福小区3栋502")

    def test_a_home_differs_from_its_neighbour(self) -> None:
        assert read_address("幸福小区3栋502").home_key != read_address("幸福小区3栋503").home_key
        assert read_address("幸福小区3栋").building_key != read_address("幸福小区4栋").building_key

    @pytest.mark.parametrize("text", ["", "   ", "，。", "\u3000"])
    def test_an_empty_address_has_no_keys(self, text: str) -> None:
        address = read_address(text)
        assert (address.building_key, address.home_key) == ("", "")

    def test_a_place_alone_is_its_own_key(self) -> None:
        assert read_address("人民公园东门").building_key == "人民公园东门"
