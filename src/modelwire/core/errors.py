"""Errors raised while declaring data objects, tasks and modules."""


class SchemaError(TypeError):
    """A declaration cannot be expressed as a protobuf contract.

    Raised when the class is declared (or the library is built), never while
    serving, so an inexpressible field or RPC cannot slip through unnoticed.
    """


class LockError(SchemaError):
    """A change would renumber or retype a field recorded in the field lock."""
