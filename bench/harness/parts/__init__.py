"""One module per benchmark; each ``run(ctx)`` returns the data its table needs."""
