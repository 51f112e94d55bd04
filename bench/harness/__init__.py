"""The benchmark harness: modelwire against Caikit and hand-written servers.

``python -m harness`` (run by ``bench/run.sh``) provisions the tools, runs
every part and writes the report. Each part lives in ``harness.parts``; the
servers under test are described in ``harness.servers``.
"""
