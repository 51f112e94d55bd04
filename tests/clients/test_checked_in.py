"""clients/ holds exactly what the generator writes for the text-sentiment example."""

from __future__ import annotations

import pytest

from clients.regenerate import CHECKED_IN, CLIENTS, package_files, render


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory):
    return render(tmp_path_factory.mktemp("checked_in"))


@pytest.mark.parametrize("flavour", CHECKED_IN)
def test_checked_in_package_matches_the_generator(flavour, fresh):
    """Regenerating a flavour changes no file of clients/<flavour> (build outputs aside)."""
    expected = package_files(fresh / flavour)
    actual = package_files(CLIENTS / flavour)
    assert sorted(actual) == sorted(expected), "run tests/clients/regenerate.py"
    changed = [p for p in expected if actual[p] != expected[p]]
    assert changed == [], f"stale files {changed}: run tests/clients/regenerate.py"
