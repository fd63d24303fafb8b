"""Dates, durations and zones (deskcli.clock)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from deskcli import clock
from deskcli.errors import Invalid


@pytest.mark.parametrize("name", sorted(clock.FIXED_ZONES))
def test_fixed_offset_zones_agree_with_the_time_zone_database(name):
    fixed, real = clock.zone(name), ZoneInfo(name)
    for year in range(1995, 2040):
        for month in (1, 4, 7, 10):
            moment = datetime(year, month, 15, 12, tzinfo=UTC)
            assert moment.astimezone(fixed).utcoffset() == moment.astimezone(real).utcoffset()


def test_other_zones_come_from_the_database_and_unknown_ones_are_refused():
    europe = clock.zone("Europe/Berlin")
    assert datetime(2026, 7, 1, tzinfo=UTC).astimezone(europe).utcoffset().seconds == 7200
    with pytest.raises(Invalid):
        clock.zone("Mars/Olympus")


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("4h", 14400), ("2d", 172800),
                                           ("1w", 604800), ("1d12h", 129600)])
def test_durations(text, seconds):
    assert clock.parse_duration(text) == seconds
    assert clock.parse_duration(clock.format_duration(seconds)) == seconds
