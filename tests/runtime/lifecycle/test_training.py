"""Training over the API: train, poll, predict, cancel, failures, restarts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest

from modelwire.runtime.training.records import INTERRUPTED_RUNNING
from runtime.lifecycle.support import (
    Lifecycle,
    code_of,
    process_gone,
    tree,
    wait_for,
)

ROWS = [("sunny day", "HAPPY"), ("lost keys", "SAD"), ("warm tea", "HAPPY")]


def train_memo(server, name: str, rows=ROWS, **fields):
    request = server.api.mgmt.TrainMemoRequest(
        model_name=name, examples=server.examples(*rows), **fields
    )
    return server.training.TrainMemo(request, timeout=30)


def start_spinner(server, name: str, work: Path, **fields):
    work.mkdir(parents=True, exist_ok=True)
    request = server.api.mgmt.TrainSpinnerRequest(
        model_name=name,
        examples=server.examples(("x", "HAPPY")),
        work_dir=str(work),
        **fields,
    )
    submitted = server.training.TrainSpinner(request, timeout=30)
    wait_for(lambda: (work / "ticks").exists() and (work / "pid").exists(), "ticks")
    return submitted, int((work / "pid").read_text())


def test_train_poll_predict_undeploy(start_server):
    """Train from a client, poll to COMPLETED, predict, undeploy, then NOT_FOUND."""
    server = start_server()
    submitted = train_memo(server, "moods", rounds=4, note="from the API")
    assert server.state(submitted) == "QUEUED"
    assert submitted.training_id and submitted.model_name == "moods"

    status = server.wait(submitted.training_id)
    assert server.state(status) == "COMPLETED", status.error
    assert status.HasField("progress") and status.progress == 1.0
    assert status.progress_message == "round 4 of 4"
    assert status.completed_at.ToDatetime() >= status.submitted_at.ToDatetime()
    assert status.module_id == "trainlib.memo" and status.error == ""

    guess = server.guess("moods", "warm tea")
    assert guess.mood == server.mood("HAPPY") and guess.known
    assert guess.note == "from the API"
    assert (server.models / "moods" / "config.yml").is_file()

    undeploy = server.api.mgmt.UndeployModelRequest(model_id="moods")
    server.manage.UndeployModel(undeploy, timeout=10)
    assert code_of(server.guess, "moods", "warm tea") == grpc.StatusCode.NOT_FOUND
    assert code_of(server.model_info, "moods") == grpc.StatusCode.NOT_FOUND
    assert not (server.models / "moods").exists()


def test_cancel_stops_the_worker_process(start_server, tmp_path):
    """CancelTraining returns once the worker process is gone; no model appears."""
    server = start_server()
    submitted, pid = start_spinner(server, "spin", tmp_path / "work")
    assert not process_gone(pid)

    status = server.cancel(submitted.training_id)
    assert server.state(status) == "CANCELED"
    assert process_gone(pid)
    ticks = (tmp_path / "work" / "ticks").read_text()
    time.sleep(0.3)
    assert (tmp_path / "work" / "ticks").read_text() == ticks
    assert code_of(server.model_info, "spin") == grpc.StatusCode.NOT_FOUND
    assert not (server.models / "spin").exists()
    again = server.cancel(submitted.training_id)
    assert server.state(again) == "CANCELED"


def test_cancel_kills_a_worker_that_ignores_sigterm(start_server, tmp_path):
    """A worker that ignores SIGTERM is killed after the grace period."""
    server = start_server()
    submitted, pid = start_spinner(
        server, "stubborn", tmp_path / "work", ignore_sigterm=True
    )
    status = server.cancel(submitted.training_id)
    assert server.state(status) == "CANCELED"
    assert process_gone(pid)


def test_cancel_of_a_queued_training(start_server, tmp_path):
    """With one training slot, a second training waits QUEUED and cancels at once."""
    server = start_server(max_trainings=1)
    running, pid = start_spinner(server, "first", tmp_path / "work")
    queued = train_memo(server, "second")
    assert server.state(server.status(queued.training_id)) == "QUEUED"
    assert server.state(server.cancel(queued.training_id)) == "CANCELED"
    assert server.state(server.cancel(running.training_id)) == "CANCELED"
    assert process_gone(pid)
    listed = server.training.ListTrainings(
        server.api.mgmt.ListTrainingsRequest(), timeout=10
    )
    ids = [t.training_id for t in listed.trainings]
    assert ids == [queued.training_id, running.training_id]


def test_c28_cancel_after_completion_keeps_completed(start_server):
    """C28: cancelling a finished training is a no-op; the model stays usable."""
    server = start_server()
    submitted = train_memo(server, "done")
    assert server.state(server.wait(submitted.training_id)) == "COMPLETED"

    for _ in range(2):
        assert server.state(server.cancel(submitted.training_id)) == "COMPLETED"
    assert server.state(server.status(submitted.training_id)) == "COMPLETED"
    assert server.guess("done", "sunny day").known
    info = server.model_info("done")
    assert server.model_state(info) == "LOADED"


def test_c30_failed_training_reports_its_reason(start_server):
    """C30: train() raising ends ERRORED with the reason; no model is registered."""
    server = start_server()
    rows = [("fine", "HAPPY")] * 6 + [("bad", "SAD")]
    submitted = train_memo(server, "broken", rows=rows)

    status = server.wait(submitted.training_id)
    assert server.state(status) == "ERRORED"
    assert "bad labels in row 7" in status.error
    assert status.HasField("completed_at")
    assert code_of(server.model_info, "broken") == grpc.StatusCode.NOT_FOUND
    assert code_of(server.guess, "broken", "fine") == grpc.StatusCode.NOT_FOUND
    assert [p for p in tree(server.models) if "broken" in p] == []


def test_crashing_worker_does_not_take_the_server_down(start_server):
    """A train() that ends its process is ERRORED; the server keeps serving."""
    server = start_server()
    submitted = train_memo(server, "crashed", rows=[("crash", "SAD")])
    status = server.wait(submitted.training_id)
    assert server.state(status) == "ERRORED"
    assert "exited with code 7" in status.error
    after = train_memo(server, "after")
    assert server.state(server.wait(after.training_id)) == "COMPLETED"


def test_unknown_training_id_is_not_found(start_server):
    """Status and cancel of an id never issued are NOT_FOUND."""
    server = start_server()
    assert code_of(server.status, "no-such-id") == grpc.StatusCode.NOT_FOUND
    assert code_of(server.cancel, "no-such-id") == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../escape", "separators"),
        ("a/b", "separators"),
        ("", "1-128"),
        ("x" * 129, "1-128"),
    ],
)
def test_bad_model_name_is_refused_and_touches_nothing(start_server, name, why):
    """A model name that could leave the models directory is INVALID_ARGUMENT."""
    server = start_server()
    before = tree(server.models.parent)
    with pytest.raises(grpc.RpcError) as error:
        train_memo(server, name)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert why in error.value.details()
    assert tree(server.models.parent) == before


def test_name_of_a_deployed_model_is_refused(start_server):
    """Training into the name of a model already served is ALREADY_EXISTS."""
    server = start_server()
    first = train_memo(server, "taken")
    server.wait(first.training_id)
    with pytest.raises(grpc.RpcError) as error:
        train_memo(server, "taken")
    assert error.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_training_data_from_files(start_server):
    """JSON Lines and CSV files of the data directory train like inline examples."""
    server = start_server()
    lines = [{"text": "rain", "mood": "MOOD_SAD"}, {"text": "sun", "mood": "HAPPY"}]
    (server.data / "moods.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8"
    )
    (server.data / "sub").mkdir()
    (server.data / "sub" / "moods.csv").write_text(
        "text,mood,weight\nfog,SAD,0.5\nsnow,HAPPY,\n", encoding="utf-8"
    )
    for name, path in [("from-jsonl", "moods.jsonl"), ("from-csv", "sub/moods.csv")]:
        request = server.api.mgmt.TrainMemoRequest(model_name=name, examples_file=path)
        submitted = server.training.TrainMemo(request, timeout=30)
        status = server.wait(submitted.training_id)
        assert server.state(status) == "COMPLETED", status.error
    assert server.guess("from-jsonl", "sun").mood == server.mood("HAPPY")
    assert server.guess("from-jsonl", "rain").mood == server.mood("SAD")
    assert server.guess("from-csv", "snow").mood == server.mood("HAPPY")
    assert server.guess("from-csv", "fog").known


def test_bad_data_file_row_errors_with_its_line(start_server):
    """A bad row in a data file makes the training ERRORED naming the line."""
    server = start_server()
    (server.data / "bad.jsonl").write_text(
        '{"text": "ok", "mood": "HAPPY"}\n{"text": "x", "mood": "PURPLE"}\n',
        encoding="utf-8",
    )
    request = server.api.mgmt.TrainMemoRequest(
        model_name="m", examples_file="bad.jsonl"
    )
    status = server.wait(server.training.TrainMemo(request, timeout=30).training_id)
    assert server.state(status) == "ERRORED"
    assert "bad.jsonl, line 2" in status.error


def test_data_file_outside_the_data_directory_is_refused(start_server, tmp_path):
    """Paths that escape the data directory (.., absolute, symlink) are refused."""
    server = start_server()
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"text": "s", "mood": "SAD"}\n', encoding="utf-8")
    (server.data / "link.jsonl").symlink_to(secret)
    for path in [
        "../secret.jsonl",
        str(secret),
        "link.jsonl",
        "missing.jsonl",
        "a.txt",
    ]:
        request = server.api.mgmt.TrainMemoRequest(model_name="m", examples_file=path)
        with pytest.raises(grpc.RpcError) as error:
            server.training.TrainMemo(request, timeout=30)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, path


def test_training_data_must_come_from_exactly_one_place(start_server):
    """Neither inline examples nor a file, or both, is INVALID_ARGUMENT."""
    server = start_server()
    neither = server.api.mgmt.TrainMemoRequest(model_name="m")
    both = server.api.mgmt.TrainMemoRequest(
        model_name="m", examples=server.examples(*ROWS), examples_file="a.jsonl"
    )
    for request in (neither, both):
        with pytest.raises(grpc.RpcError) as error:
            server.training.TrainMemo(request, timeout=30)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_deploy_false_keeps_the_model_until_deployed(start_server):
    """deploy=false trains without serving; DeployModel by name serves it later."""
    server = start_server()
    submitted = train_memo(server, "later", deploy=False)
    status = server.wait(submitted.training_id)
    assert server.state(status) == "COMPLETED" and not status.deploy
    assert code_of(server.guess, "later", "sunny day") == grpc.StatusCode.NOT_FOUND

    request = server.api.mgmt.DeployModelRequest(model_id="later")
    info = server.manage.DeployModel(request, timeout=30)
    assert server.model_state(info) == "LOADED"
    assert server.guess("later", "sunny day").known


def test_restart_reports_a_running_training_as_errored(
    start_server, train_api, tmp_path
):
    """A training RUNNING when its server was killed reads ERRORED after a restart."""
    models, work = tmp_path / "models", tmp_path / "work"
    models.mkdir()
    work.mkdir()
    command = [Path(sys.executable).parent / "modelwire", "serve", "trainlib"]
    command += ["--app-dir", Path(__file__).parents[2], "--models", models]
    command += ["--port", "0", "--no-http"]
    server = subprocess.Popen(
        [str(part) for part in command], stderr=subprocess.PIPE, text=True
    )
    try:
        address = _address(server)
        with grpc.insecure_channel(address) as channel:
            client = Lifecycle(None, channel, train_api, models, work)
            training_id, pid = _spin(client, work)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    # The orphaned worker notices that its server is gone and ends itself.
    wait_for(lambda: _not_running(pid), "the orphaned worker to end")

    restarted = start_server(models=models)
    status = restarted.status(training_id)
    assert restarted.state(status) == "ERRORED"
    assert status.error == INTERRUPTED_RUNNING
    assert code_of(restarted.model_info, "spin") == grpc.StatusCode.NOT_FOUND
    assert [p for p in tree(models) if p.startswith(".training-")] == []


def _address(server: subprocess.Popen) -> str:
    """The address the server logs; its later output is drained in the background."""
    assert server.stderr is not None
    for line in server.stderr:
        found = re.search(r"serving \S+ on (\S+:\d+)", line)
        if found:
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return found.group(1)
    raise AssertionError("the server exited before serving")


def _spin(client: Lifecycle, work: Path) -> tuple[str, int]:
    request = client.api.mgmt.TrainSpinnerRequest(
        model_name="spin", examples=client.examples(("x", "SAD")), work_dir=str(work)
    )
    submitted = client.training.TrainSpinner(request, timeout=30)
    wait_for(lambda: (work / "pid").exists(), "the worker to start")
    client.wait(submitted.training_id, ("RUNNING",))
    return submitted.training_id, int((work / "pid").read_text())


def _not_running(pid: int) -> bool:
    """Gone, or a zombie: the killed server's orphans are reaped by someone else."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
