"""MiniLM embeddings of host names for the phishing-domain model (training, tuning and evaluation caches).

The domain model reads a host twice: as hashed tokens (domain_features) and as the shared encoder's embedding of
the host as written, which knows words the tokens split badly ("walletconnect-sync", "airdrop-claimz"). Training
and evaluation embed every host of the shared CSV once, in float32 (the same on every CPU), cached in
models/cache/scam_link/ (11 minutes for 396,043 hosts on two free cores; 40 minutes for all 409,747 with another job
on the machine). The live bot embeds a host with the pipeline's encoder when a post links it (DomainModel.prime).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable

import numpy as np

from models.encoder import EMBED_DIM
from models.paths import MODELS_DIR

CACHE_DIR = MODELS_DIR / "cache" / "scam_link"
STEP = 20_000  # hosts per progress line


def host_embeddings(hosts: list[str]) -> np.ndarray:
    """Return the (n, 384) float32 MiniLM embeddings of the hosts as written, cached (float16) by their list."""
    digest = hashlib.blake2b("\n".join(hosts).encode("utf-8"), digest_size=10).hexdigest()
    path = CACHE_DIR / f"host-embeddings-{digest}.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    from models.encoder import Encoder, configure_torch

    configure_torch(2)
    encoder = Encoder(cache_size=0, precision="float32", batch_size=64)  # cached: the same on every CPU
    out = np.zeros((len(hosts), EMBED_DIM), dtype=np.float16)
    for start in range(0, len(hosts), STEP):
        out[start:start + STEP] = encoder.embed_only(hosts[start:start + STEP])
        print(f"embedded {min(start + STEP, len(hosts))} of {len(hosts)} hosts", file=sys.stderr, flush=True)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".partial.npy")
    np.save(tmp, out)
    tmp.replace(path)  # a run stopped half-way leaves no truncated cache behind
    return out.astype(np.float32)


class HostTable:
    """Embeddings of every host of the shared file, computed once and looked up by host."""

    def __init__(self, hosts: Iterable[str]) -> None:
        """Embed (or read from the cache) every distinct host, in sorted order."""
        self.hosts = sorted(set(hosts))
        self.index = {h: i for i, h in enumerate(self.hosts)}
        self.vectors = host_embeddings(self.hosts)

    def rows(self, hosts: list[str]) -> np.ndarray:
        """Return the (len(hosts), 384) embeddings of hosts that are in the table (KeyError names a missing one)."""
        try:
            return self.vectors[[self.index[h] for h in hosts]]
        except KeyError as exc:
            raise KeyError(f"host {exc.args[0]!r} is not in the embedding table") from None
