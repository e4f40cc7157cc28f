"""The synchronous shells: client, task handles, transport, downloads, batch runner, limiter."""
