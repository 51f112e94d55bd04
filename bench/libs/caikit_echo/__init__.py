"""The echo of ``mw_echo``, written Caikit's way; served by Caikit 0.29.1.

It runs only in Caikit's own virtual environment (bench/.venvs/caikit). No
``from __future__ import annotations`` here: Caikit reads the field types of
a data object from its class annotations at runtime.
"""

from typing import Any, Self

from caikit.core import DataObjectBase, ModuleBase, TaskBase, dataobject, module, task

#: the ``module_id`` a model folder's config.yml names to load this module
MODULE_ID = "5b0c7f4e-2d1a-4c8e-9f63-0e7d2b1a9c41"


@dataobject(package="caikit_echo")
class EchoText(DataObjectBase):
    """The text, sent back."""

    text: str


@task(unary_parameters={"text": str}, unary_output_type=EchoText)
class EchoTask(TaskBase):
    """Send the text back unchanged."""


@module(id=MODULE_ID, name="Echo", version="1.0.0", task=EchoTask)
class EchoModule(ModuleBase):
    """Does no work, so a call costs only what the runtime adds."""

    @classmethod
    def load(cls, model_path: Any, *args: Any, **kwargs: Any) -> Self:
        return cls()

    def run(self, text: str) -> EchoText:
        return EchoText(text=text)
