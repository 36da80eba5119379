"""Writing guides out: the one writer, the state in .guidegen/, the worker pool and `build()`."""
