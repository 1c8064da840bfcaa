"""Time ``formgen certificates`` with and without ``--credentials``.

    python bench/bench_credentials.py [--count 60]

The same batch is printed, alternately, without credentials and with a signed Open
Badges credential beside every PDF (eddsa-rdfc-2022: RDF canonicalisation by pyld and an
Ed25519 signature each, signed while LibreOffice converts the next chunks), each the best
of two runs; prints the ratio of the two (target: at most 1.5). The batch is small, so
the run takes about a minute; a credential's cost does not grow with the batch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_certificates import VERIFY_URL, certificate_batch  # noqa: E402
from common import soffice_missing  # noqa: E402

from formgen.credentials.keys import add_issuer_key  # noqa: E402
from formgen.main import CertificateOptions, CredentialOptions, print_certificates  # noqa: E402
from formgen.settings import Paths, load_settings  # noqa: E402

TARGET = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="certificates in the batch")
    args = parser.parse_args()
    if soffice_missing():
        return 2
    with certificate_batch(args.count, "bench-credentials-") as (work, data, count):
        register = work / "register.sqlite"
        settings = load_settings(ROOT / "manifest.yaml", paths=Paths(register=register))
        print_certificates(settings, [data], work / "warm",
                           CertificateOptions(init_register=True, verify_url=VERIFY_URL))
        add_issuer_key(register)
        plain: list[float] = []
        with_credentials: list[float] = []
        for attempt in range(2):
            start = time.perf_counter()
            run = print_certificates(settings, [data], work / f"plain-{attempt}",
                                     CertificateOptions(verify_url=VERIFY_URL))
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            signed = print_certificates(settings, [data], work / f"credentials-{attempt}",
                                        CertificateOptions(verify_url=VERIFY_URL),
                                        credentials=CredentialOptions(credentials=True))
            with_credentials.append(time.perf_counter() - start)
            if run.failed_ids or len(signed.credentials) != count:
                print(f"batch failed: {run.failed_ids[:5]} …", file=sys.stderr)
                return 1
        ratio = min(with_credentials) / min(plain)
        print(f"certificates: {count} in {min(plain):.1f} s; with credentials: "
              f"{min(with_credentials):.1f} s")
        print(f"ratio: {ratio:.2f} (target: at most {TARGET})")
        return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
