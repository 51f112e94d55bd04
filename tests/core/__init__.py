"""Tests of the data-object contract (modelwire.core)."""
