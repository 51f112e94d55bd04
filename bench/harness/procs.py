"""Child processes: one-shot commands and the servers under test."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)
#: seconds a server gets to stop on SIGTERM before it is killed
STOP_GRACE = 10.0
#: prctl option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1


class HarnessError(RuntimeError):
    """A measurement could not be taken: a tool failed, a server died, ..."""


class Pending(HarnessError):
    """Not measured on purpose: a modelwire feature still missing, or left out."""


def run_command(
    argv: Sequence[str | Path],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Runs a command to completion and returns its stdout; fails with its stderr."""
    try:
        done = subprocess.run(
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HarnessError(f"{argv[0]} did not finish in {timeout:.0f} s") from None
    except OSError as exc:
        raise HarnessError(f"cannot run {argv[0]}: {exc}") from None
    if done.returncode != 0:
        raise HarnessError(
            f"{' '.join(str(a) for a in argv[:4])} ... exited with "
            f"{done.returncode}: {tail(done.stderr or done.stdout)}"
        )
    return done.stdout


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def pinned(argv: Sequence[str | Path], cpus: str | None) -> list[str]:
    """``argv`` restricted to the CPUs ``cpus`` (taskset syntax); None leaves it free."""
    command = [str(a) for a in argv]
    return command if cpus is None else ["taskset", "-c", cpus, *command]


class ServerProcess:
    """A server under test, started in its own session with its output in a log."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_path
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None
        #: perf_counter() just before the process was launched
        self.launched_at = 0.0

    def start(self) -> ServerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.launched_at = time.perf_counter()
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return self

    @property
    def pid(self) -> int:
        if self._process is None:
            raise HarnessError(f"{self.name} was never started")
        return self._process.pid

    def check_alive(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            raise HarnessError(
                f"{self.name} exited with {self._process.returncode}; "
                f"its log ({self.log_path}) ends:\n{self.log_tail()}"
            )

    def log_tail(self) -> str:
        try:
            return tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def rss_mib(self) -> float:
        """Resident memory of the server process, in MiB."""
        self.check_alive()
        status = Path(f"/proc/{self.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise HarnessError(f"no VmRSS for {self.name} (pid {self.pid})")

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        # The whole session: a server's helper processes go with it.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM; killing it", self.name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_GRACE)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _die_with_parent() -> None:
    """Runs in the child before exec: a killed harness leaves no server behind.

    The server runs in its own session (so that ``stop`` reaches its helper
    processes), which also shields it from the harness's terminal; the kernel
    kills it instead when the harness goes.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
