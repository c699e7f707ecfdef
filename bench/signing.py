"""The cost of one id token signature per algorithm (and of a verification), in process.

    .venv/bin/python bench/signing.py [--json]

Signs a typical id token (about 15 claims) with authgate's own Signer over fresh keys,
best of five runs of a few hundred signatures each, so that a busy machine shows less.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable

from joserfc import jwt
from joserfc.jwk import import_key

from authgate.crypto.keys import ALGORITHMS, Signer, generate, seal, unseal
from authgate.crypto.secretbox import SecretBox

CLAIMS = {
    "iss": "https://auth.example.com/spaces/acme",
    "sub": "0b6f1c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b",
    "aud": "Wku5HDtre3k5IZqOpFY0dg",
    "iat": 1_800_000_000,
    "exp": 1_800_003_600,
    "auth_time": 1_799_999_000,
    "nonce": "n-0S6_WzA2Mj",
    "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
    "name": "Alice at Acme",
    "picture": "https://img.example.com/alice.png",
    "email": "alice@example.com",
    "email_verified": False,
    "phone_number": "+49 30 1234567",
}


def best_us(work: Callable[[], object], count: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            work()
        best = min(best, (time.perf_counter() - start) / count)
    return best * 1e6


def measure() -> dict[str, dict[str, float]]:
    box = SecretBox("bench")
    results: dict[str, dict[str, float]] = {}
    for alg in ALGORITHMS:
        sealed = seal(generate(alg), alg, box)
        private = unseal(sealed.private_sealed, box)
        assert private is not None
        signer = Signer(private, sealed.kid, alg)
        token = signer.sign(CLAIMS)
        public = import_key(sealed.public_jwk)
        count = 100 if alg == "RS256" else 400
        results[alg] = {
            "sign_us": round(best_us(functools.partial(signer.sign, CLAIMS), count), 1),
            "verify_us": round(
                best_us(functools.partial(jwt.decode, token, public, algorithms=[alg]), count),
                1,
            ),
            "token_bytes": len(token),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = measure()
    if args.json:
        print(json.dumps(results))
        return
    print(f"{'id token':<10} {'sign us':>8} {'verify us':>10} {'bytes':>6}")
    for alg, r in results.items():
        print(f"{alg:<10} {r['sign_us']:>8.1f} {r['verify_us']:>10.1f} {r['token_bytes']:>6}")


if __name__ == "__main__":
    main()
