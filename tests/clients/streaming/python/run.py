"""Streaming program of both Python flavours: run.py ADDRESS PACKAGE.

PACKAGE is the generated package to import (``wiretest_client`` or
``wiretest_client_betterproto``); both offer the same typed client, so one
program serves both. It prints one JSON line per call.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any


def main(address: str, package_name: str) -> None:
    package: Any = importlib.import_module(package_name)
    with package.WiretestClient(address, timeout=30) as client:
        counted = client.count(n=4, model_id="counter")
        show("count", items=[item.index for item in counted])
        sums = [package.SumRequest(values=1, scale=2)]
        sums += [package.SumRequest(values=v) for v in (2, 3)]
        total = client.sum(iter(sums), model_id="summer")
        show("sum", total=total.total, count=total.count)
        values = (package.RunningSumRequest(values=v) for v in (5, 6, 7))
        running = client.running_sum(values, model_id="running")
        show("running", totals=[[r.total, r.count] for r in running])


def show(call: str, **fields: Any) -> None:
    print(json.dumps({"call": call, **fields}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
