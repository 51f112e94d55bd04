"""Which of modelwire's still-growing features the installed version has.

The harness reads the command line's own signatures, so a part that needs a
feature switches from "pending" to measured as soon as the feature lands.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass


@dataclass(frozen=True)
class Features:
    #: ``modelwire serve --http-port`` (the HTTP/JSON gateway)
    http_gateway: bool
    #: the gateway is on unless ``--no-http`` is given
    http_switch: bool
    #: ``modelwire serve --batching/--no-batching``
    batching: bool
    #: ``modelwire generate --clients``
    clients: bool


def detect() -> Features:
    from modelwire import cli

    serve = inspect.signature(cli.serve).parameters
    generate = inspect.signature(cli.generate).parameters
    return Features(
        http_gateway="http_port" in serve,
        http_switch="http" in serve,
        batching="batching" in serve,
        clients="clients" in generate,
    )
