"""What every part gets: settings, tools, features, folders and free ports."""

from __future__ import annotations

import os
import socket
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from harness.features import Features
from harness.provision import Tools
from harness.settings import Settings


@dataclass
class Context:
    settings: Settings
    tools: Tools
    features: Features
    #: this run's scratch folder (bench/.work/<mode>)
    work: Path
    #: CPUs of the server under load and of the load generator (taskset syntax);
    #: None when the machine has a single core
    server_cpus: str | None = field(default=None)
    load_cpus: str | None = field(default=None)

    @classmethod
    def create(
        cls, settings: Settings, tools: Tools, features: Features, work: Path
    ) -> Context:
        cores = sorted(os.sched_getaffinity(0))
        server, load = (None, None)
        if len(cores) >= 2:
            # The server under load gets one core, the load generator the rest,
            # so that neither steals the other's time slices.
            server = str(cores[0])
            load = ",".join(str(c) for c in cores[1:])
        work.mkdir(parents=True, exist_ok=True)
        return cls(settings, tools, features, work, server, load)

    @property
    def logs(self) -> Path:
        return self.work / "logs"


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now; held together while chosen, so all distinct."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    return ports
