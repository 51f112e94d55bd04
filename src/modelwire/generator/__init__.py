"""The generator half: registered declarations become .proto files and more."""

from modelwire.generator.generate import GenerationResult, generate

__all__ = ["GenerationResult", "generate"]
