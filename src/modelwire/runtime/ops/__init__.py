"""What operators need around the runtime: health, reflection, TLS, metrics,
tracing, logs and limits.

Each part is a ``RuntimeExtension`` or a helper one uses, so the server
itself stays unaware of them; ``runtime.launch`` assembles them from the
configuration. Per-call work happens in one wrapper per method, built once
before the port opens (``calls.CallObserver``).
"""
