"""Time ``formgen certificates`` for a batch of about 1000 certificates.

    python bench/bench_certificates.py [--count 1000] [--singles 20] [--keep DIR]

Prints the time to make every certificate (register, render, one LibreOffice load per
template chunk, print.pdf and the per-holder PDFs), the time to convert ``--singles`` of
the same certificates one file per ``soffice --headless --convert-to pdf`` call, scaled to
the batch size, and how many times faster the batch is. Then the same batch again, each
holder's PDF signed (PAdES B-B, a throwaway key and certificate made here), and the
ratio of signed to unsigned time (target: at most 2). All are measured in this run.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import clean, soffice_missing  # noqa: E402

from formgen.certificates.batch import batch_template  # noqa: E402
from formgen.certificates.context import certificate_context  # noqa: E402
from formgen.certificates.numbers import Issued  # noqa: E402
from formgen.certificates.signing import SigningKey  # noqa: E402
from formgen.main import CertificateOptions, check_data, print_certificates  # noqa: E402
from formgen.model.manifest import load_manifest  # noqa: E402
from formgen.settings import Paths, Settings, load_settings  # noqa: E402

SURNAMES = [
    "WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU",
    "ZHOU", "XU", "SUN", "MA", "ZHU", "HU", "GUO", "HE", "LIN",
]
GIVEN = [
    "Wei", "Fang", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun",
    "Hui", "Xin", "Tao", "Ming", "Chao", "Hua", "Ping", "Gang",
]
ZH_SUR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
ZH_GIVEN = "伟芳敏静磊强燕军慧欣涛明超华平刚"
ISSUED = "2026-11-20"
"""Date of issue, and the day the benchmark pretends it is (the sample data's CPD ends
in autumn 2026)."""
VERIFY_URL = "http://localhost:8000"
"""Where the benchmark's certificates say they are verified (the manifest's is a placeholder)."""


def make_data(count: int, folder: Path) -> tuple[Path, int]:
    """Applicants (copies of the sample data) holding about ``count`` certificates."""
    samples = yaml.safe_load((ROOT / "data" / "applicants.yaml").read_text(encoding="utf-8"))
    holders = math.ceil(count / 3)  # every sample holder gets three certificates
    out = []
    for i in range(holders):
        a = copy.deepcopy(samples[i % len(samples)])
        a["id"] = f"BENCH-{i:05d}"
        a["name"] = {
            "zh": ZH_SUR[i % len(ZH_SUR)] + ZH_GIVEN[(i // 7) % len(ZH_GIVEN)],
            "en": f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[(i // 7) % len(GIVEN)]}",
        }
        a["certificate"] = {**a.get("certificate", {}), "issued_on": ISSUED}
        out.append(a)
    path = folder / "applicants.json"  # JSON: the loader's YAML parser is not what is timed
    path.write_text(json.dumps(out, ensure_ascii=False, default=str), encoding="utf-8")
    return path, holders * 3


@contextmanager
def certificate_batch(count: int, prefix: str) -> Iterator[tuple[Path, Path, int]]:
    """A scratch folder (removed afterwards) holding :func:`make_data`'s applicants, with
    ``FORMGEN_TODAY`` pinned to the issue date unless already set: (folder, data, count)."""
    os.environ.setdefault("FORMGEN_TODAY", ISSUED)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work, *make_data(count, work)
    finally:
        clean(work)


def singles(data: Path, n: int, folder: Path) -> list[Path]:
    """``n`` certificates of the batch, each rendered to a DOCX file of its own."""
    manifest = load_manifest(ROOT / "manifest.yaml")
    _, report = check_data(Settings(manifest, pinned_today=dt.date.fromisoformat(ISSUED)), [data])
    files: list[Path] = []
    for k, item in enumerate(report.valid):
        a = item.applicant
        for doc_id in manifest.documents_for(a.programme, a.grade, "certificate"):
            if len(files) >= n:
                return files
            lang = next(iter(manifest.documents[doc_id].templates))
            template = batch_template(manifest.template_path(doc_id, lang))
            issued = Issued(f"BENCH-2026-{k:06d}", "0000-0000-00", a.id, a.name.get("en"),
                            doc_id, a.programme, a.grade, dt.date.fromisoformat(ISSUED))
            path = folder / f"{len(files):03d}-{doc_id}.docx"
            path.write_bytes(template.render([certificate_context(a, doc_id, issued, manifest, VERIFY_URL)]))
            files.append(path)
    return files


def throwaway_signing_key(folder: Path) -> SigningKey:
    """A self-signed RSA-2048 key and certificate, as PEM files in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Benchmark Certificates")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return SigningKey(key=folder / "key.pem", cert=folder / "cert.pem")


def soffice_one_by_one(files: list[Path], folder: Path) -> float:
    profile = folder / "profile"
    env = dict(os.environ, HOME=str(folder))
    start = time.perf_counter()
    for f in files:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "pdf", "--outdir", str(folder / "pdf"), str(f)],
            check=True, capture_output=True, env=env, timeout=300,
        )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates in the batch")
    parser.add_argument("--singles", type=int, default=20, help="certificates converted singly")
    parser.add_argument("--keep", type=Path, help="keep the output in this folder")
    args = parser.parse_args()
    if soffice_missing():
        return 2
    with certificate_batch(args.count, "bench-certificates-") as (work, data, count):
        out = args.keep or work / "out"
        start = time.perf_counter()
        settings = load_settings(ROOT / "manifest.yaml",
                                 paths=Paths(register=work / "register.sqlite"))
        run = print_certificates(settings, [data], out, CertificateOptions(init_register=True, verify_url=VERIFY_URL))
        batch = time.perf_counter() - start
        if run.failed_ids or run.certificates_written != count:
            print(f"batch failed: {run.failed_ids[:5]} …", file=sys.stderr)
            return 1
        (work / "singles").mkdir()
        files = singles(data, args.singles, work / "singles")
        one_by_one = soffice_one_by_one(files, work / "singles")
        scaled = one_by_one / len(files) * count
        ratio = scaled / batch
        print(f"batch: {count} certificates (print.pdf and {count} per-holder PDFs) "
              f"in {batch:.1f} s ({batch / count * 1000:.1f} ms each)")
        print(f"one soffice call per file: {len(files)} in {one_by_one:.1f} s, "
              f"scaled to {count}: {scaled:.0f} s")
        print(f"ratio: batch is {ratio:.0f}x faster (target: 20x)")
        # Signed against unsigned, each the best of two runs, alternating: this machine
        # is shared, and one slow run says more about the neighbours than about signing.
        key = throwaway_signing_key(work)
        unsigned_times, signed_times, level = [batch], [], None
        for attempt in range(2):
            if attempt:
                start = time.perf_counter()
                print_certificates(settings, [data], work / "again",
                                   CertificateOptions(verify_url=VERIFY_URL))
                unsigned_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            signed = print_certificates(settings, [data], work / f"signed-{attempt}",
                                        CertificateOptions(signing=key, verify_url=VERIFY_URL))
            signed_times.append(time.perf_counter() - start)
            if signed.failed_ids or signed.certificates_written != count:
                print(f"signed batch failed: {signed.failed_ids[:5]} …", file=sys.stderr)
                return 1
            level = signed.signature_level
        signing_ratio = min(signed_times) / min(unsigned_times)
        print(f"signed batch (PAdES {level}): {count} certificates in "
              f"{min(signed_times):.1f} s, unsigned {min(unsigned_times):.1f} s (best of two "
              f"each); ratio signed/unsigned: {signing_ratio:.2f} (target: at most 2)")
        return 0 if ratio >= 20 and signing_ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
