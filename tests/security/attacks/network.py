"""Connects to a TCP server on the host's loopback (its port in JUDGE_ATTACK_PORT, planted in the source by the test)."""

import socket

PORT = 0  # replaced by the test
report = [f"interfaces: {socket.if_nameindex()}"]
for host in ("127.0.0.1", "localhost"):
    try:
        with socket.create_connection((host, PORT), timeout=2) as s:
            s.sendall(b"PWNED")
            report.append(f"connected to {host}")
    except OSError as exc:
        report.append(f"{host}: {exc}")
raise RuntimeError(" ".join(report))
