"""Errors raised while declaring data objects, tasks and modules."""


class SchemaError(TypeError):
    """A declaration cannot be expressed as a protobuf contract.

    Raised when the class is declared (or the library is built), never while
    serving, so an inexpressible field or RPC cannot slip through unnoticed.
    """


class LockError(SchemaError):
    """A change would renumber or retype a field recorded in the field lock."""


class CallError(Exception):
    """Raised by a module to fail a call with a chosen status.

    ``code`` is a gRPC status name such as ``"NOT_FOUND"`` or
    ``"RESOURCE_EXHAUSTED"``; the runtime maps it to HTTP as well.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
