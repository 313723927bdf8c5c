"""Python SDK for a Honua server's OGC API - Processes surface (used by the CLI)."""

from honua.client.http import HonuaClient, RemoteError

__all__ = ["HonuaClient", "RemoteError"]
