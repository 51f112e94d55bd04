"""The vectors themselves: they hold against the runtime through a bare channel."""

from __future__ import annotations

import grpc
import pytest

from conformance.support import load_vectors, mismatches, reference_call

VECTORS = load_vectors()


def test_vector_names_are_unique():
    """Every vector has its own name, so results can be matched to vectors."""
    names = [v.name for v in VECTORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_vector_holds_against_the_runtime(vector, conformance_runtime, message_classes):
    """A call built from the runtime's own message classes gives the vector's answer."""
    with grpc.insecure_channel(conformance_runtime.address) as channel:
        result = reference_call(channel, message_classes, vector)
    assert mismatches([vector], {vector.name: result}, message_classes) == []
