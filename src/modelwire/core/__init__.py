"""The shared core: data objects, tasks, modules and the registry that holds them."""
