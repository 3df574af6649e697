"""The asyncio controller: NETCONF sessions, discovery, provisioning, API, store, CLI."""

__version__ = "0.1.0"
