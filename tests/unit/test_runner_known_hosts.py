"""known_hosts of a lab: one line per node, never two keys glued on one line."""

from __future__ import annotations

from containerlab.runner import known_hosts_text


def test_two_netconfd_nodes_keep_both_keys() -> None:
    nodes = [
        {"host": "127.0.0.1", "port": 2001, "known_hosts_line": "[127.0.0.1]:2001 ssh-ed25519 A"},
        {"host": "127.0.0.1", "port": 2002, "known_hosts_line": "[127.0.0.1]:2002 ssh-ed25519 B\n"},
        {"host": "10.0.0.3", "port": 830},
    ]
    lines = known_hosts_text(nodes, "ssh-ed25519 LAB").splitlines()
    assert lines == [
        "[127.0.0.1]:2001 ssh-ed25519 A",
        "[127.0.0.1]:2002 ssh-ed25519 B",
        "[10.0.0.3]:830 ssh-ed25519 LAB",
    ]
