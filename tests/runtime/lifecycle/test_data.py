"""Training data files: JSON Lines and CSV rows become data objects, or clear errors."""

from __future__ import annotations

import pytest
import trainlib

from modelwire.runtime.training.data import DataFileError, read_examples


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_and_csv_rows_read_the_same(tmp_path):
    """Proto or Python enum names, camelCase or snake_case columns, defaults kept."""
    jsonl = write(
        tmp_path,
        "a.jsonl",
        '{"text": "a", "mood": "MOOD_SAD"}\n\n{"text": "b", "mood": "HAPPY", "weight": 2}\n',
    )
    csv = write(tmp_path, "a.csv", "text,mood,weight\na,SAD,\nb,MOOD_HAPPY,2\n")
    expected = [
        trainlib.Example("a", trainlib.Mood.SAD),
        trainlib.Example("b", trainlib.Mood.HAPPY, 2.0),
    ]
    assert read_examples(jsonl, trainlib.Example) == expected
    assert read_examples(csv, trainlib.Example) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "a.jsonl",
            '{"text": "a", "mood": "SAD"}\n[1]\n',
            "line 2: expected one JSON object",
        ),
        ("a.jsonl", "{oops\n", "line 1: not valid JSON"),
        ("a.jsonl", '{"text": "a", "mood": "PURPLE"}\n', "a.jsonl, line 1"),
        ("a.csv", "text,colour\na,red\n", "CSV columns ['colour'] are not fields"),
        ("a.csv", "text,mood,weight\na,SAD,heavy\n", "a.csv, line 2"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, name, text, message):
    """Every bad row raises DataFileError saying where and why."""
    with pytest.raises(DataFileError) as error:
        read_examples(write(tmp_path, name, text), trainlib.Example)
    assert message in str(error.value)
