"""datetime becomes Timestamp (UTC, aware values only) and timedelta Duration."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from modelwire import dataobject

from .roundtrip import assert_round_trips

PKG = "dotest.time.v1"


@dataobject(package=PKG)
class Events:
    at: list[datetime]
    took: list[timedelta]


@dataobject(package=PKG)
class Stamp:
    at: datetime


@dataobject(package=PKG)
class Span:
    took: timedelta


PLUS_TWO = timezone(timedelta(hours=2))
EVENTS = Events(
    at=[
        datetime(2024, 6, 30, 23, 59, 59, 250000, tzinfo=UTC),
        datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
    ],
    took=[timedelta(seconds=1.5), timedelta(days=1)],
)


def test_lists_of_times_round_trip_in_order():
    """Lists of datetimes and timedeltas keep order and values in every form."""
    assert_round_trips(EVENTS)
    back = Events.from_bytes(EVENTS.to_bytes())
    assert back.at == EVENTS.at
    assert back.took == [timedelta(seconds=1.5), timedelta(days=1)]


def test_times_in_json_are_rfc3339_and_duration_strings():
    """JSON holds RFC 3339 'Z' strings and duration strings such as '1.500s'."""
    assert json.loads(EVENTS.to_json()) == {
        "at": ["2024-06-30T23:59:59.250Z", "2024-01-01T10:00:00Z"],
        "took": ["1.500s", "86400s"],
    }


def test_offset_datetime_becomes_the_same_instant_in_utc():
    """12:00+02:00 is stored and read back as 10:00Z, an aware UTC value."""
    stamp = Stamp(datetime(2024, 1, 1, 12, 0, tzinfo=PLUS_TWO))
    expected = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert stamp.at == expected
    assert stamp.at.utcoffset() == timedelta(0)
    assert json.loads(stamp.to_json()) == {"at": "2024-01-01T10:00:00Z"}
    for back in (
        Stamp.from_bytes(stamp.to_bytes()),
        Stamp.from_json(stamp.to_json()),
        Stamp.from_dict(stamp.to_dict()),
    ):
        assert back.at == expected
        assert back.at.tzinfo is not None
        assert back.at.utcoffset() == timedelta(0)
        assert (back.at.hour, back.at.minute) == (10, 0)


def test_utc_datetime_is_unchanged():
    """An aware UTC value is kept as it is."""
    when = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    stamp = Stamp(when)
    assert stamp.at == when
    assert Stamp.from_bytes(stamp.to_bytes()).at == when
    assert stamp.to_dict() == {"at": "2024-01-01T12:00:00Z"}


def test_naive_datetime_is_refused_at_construction():
    """A naive datetime is refused with an error saying to pass a timezone-aware one."""
    with pytest.raises((TypeError, ValueError), match=r"Stamp\.at") as info:
        Stamp(datetime(2024, 1, 1, 12, 0))
    assert "timezone-aware" in str(info.value)
    assert "tzinfo" in str(info.value)


def test_naive_datetime_in_a_list_is_refused():
    """A naive datetime inside a list is refused too."""
    with pytest.raises((TypeError, ValueError), match="timezone-aware"):
        Events(at=[datetime(2024, 1, 1)], took=[])


@pytest.mark.parametrize(
    "text", ["2024-01-01T12:00:00", "2024-01-01T12:00:00.5", "2024-01-01"]
)
def test_json_timestamp_without_offset_is_refused(text):
    """A JSON timestamp with no offset is a ValueError, not a guessed zone."""
    with pytest.raises(ValueError):
        Stamp.from_json(json.dumps({"at": text}))


def test_json_timestamp_with_offset_is_converted_to_utc():
    """A JSON timestamp with +02:00 reads back as the same instant in UTC."""
    back = Stamp.from_json('{"at": "2024-01-01T12:00:00+02:00"}')
    assert back.at == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert back.at.utcoffset() == timedelta(0)


def test_datetime_field_refuses_strings():
    """A string for a datetime field is a TypeError naming the field."""
    with pytest.raises(TypeError, match=r"Stamp\.at"):
        Stamp("2024-01-01T12:00:00Z")


@pytest.mark.parametrize(
    ("took", "json_text"),
    [
        (timedelta(seconds=1.5), "1.500s"),
        (timedelta(0), "0s"),
        (timedelta(microseconds=1), "0.000001s"),
        (timedelta(seconds=-1.5), "-1.500s"),
        (timedelta(days=-1, seconds=3), "-86397s"),
    ],
)
def test_durations_round_trip(took, json_text):
    """timedelta values (zero, negative, microseconds) survive as Durations."""
    span = Span(took)
    assert span.to_dict() == {"took": json_text}
    assert_round_trips(span)
    assert Span.from_bytes(span.to_bytes()).took == took


def test_microseconds_survive():
    """Timestamps keep microsecond precision."""
    when = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert_round_trips(Stamp(when))
    assert Stamp.from_json(Stamp(when).to_json()).at == when


LONGEST = timedelta(seconds=315_576_000_000, microseconds=999_999)


@pytest.mark.parametrize("took", [LONGEST, -LONGEST])
def test_longest_duration_round_trips(took):
    """The longest Duration protobuf allows (about 10000 years) round-trips."""
    assert_round_trips(Span(took))


@pytest.mark.parametrize(
    "took", [LONGEST + timedelta(microseconds=1), -LONGEST - timedelta(seconds=1)]
)
def test_duration_beyond_protobuf_range_is_refused(took):
    """A timedelta beyond Duration's range is a ValueError naming the field."""
    with pytest.raises(ValueError, match=r"Span\.took"):
        Span(took)


@dataobject(package=PKG)
class MaybeWhen:
    at: datetime | None = None
    took: timedelta | None = None


def test_optional_times_unset_are_none():
    """Unset Optional datetime/timedelta fields read back as None."""
    assert MaybeWhen.from_bytes(b"") == MaybeWhen()
    assert MaybeWhen.from_json("{}").at is None
    assert_round_trips(MaybeWhen(datetime(2024, 1, 1, tzinfo=UTC), timedelta(0)))
