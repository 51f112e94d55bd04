"""Stale files, before: a service and a second proto package."""

from __future__ import annotations

import modelwire as mw


@mw.dataobject(package="shrink.extra.v1")
class Note:
    """Lives in shrink/extra/v1."""

    text: str


@mw.dataobject
class Page:
    """Refers to the extra package."""

    title: str
    note: Note


@mw.task(output=Page)
class Render:
    """Render a page."""

    title: str


@mw.module(id="shrink.renderer", name="Renderer", version="1", task=Render)
class Renderer(mw.ModuleBase):
    @classmethod
    def load(cls, model_path: object) -> Renderer:
        return cls()

    def run(self, title: str) -> Page:
        raise NotImplementedError
