"""The floor: what is decided without I/O (no shell, no event loop). Shells in ``_sync``/``_async`` build on it."""
