"""The verification address certificates print: the manifest's placeholder is refused by
``formgen certificates`` unless ``--verify-url`` is given, and ``formgen check`` warns of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MANIFEST_FILE, SAMPLES_FILE, cli

from formgen.certificates.register import Register
from formgen.certificates.verification import is_placeholder, placeholder_addresses
from formgen.model.manifest import load_manifest

REFUSED = (
    "Error: the verification address of the certificates of {programme}, "
    "https://verify.example.org, is a placeholder: set certificates: {programme}: verify_url "
    "in the manifest to where formgen serve --register answers, or give --verify-url\n")
WARNING = (
    "Warning: certificates: {programme}: verify_url in the manifest is a placeholder "
    "(https://verify.example.org); formgen certificates refuses to print it unless "
    "--verify-url gives where formgen serve --register answers")


@pytest.mark.parametrize("url", [
    "https://verify.example.org", "http://example.com", "https://a.b.EXAMPLE.NET/x",
    "https://certs.example", "http://verify.test:8000", "https://x.invalid."])
def test_addresses_reserved_for_examples_are_placeholders(url: str) -> None:
    assert is_placeholder(url)


@pytest.mark.parametrize("url", [
    "http://localhost:8000", "https://verify.csee.org.cn", "https://example.org.cn",
    "https://notexample.org", "http://127.0.0.1:8000/check"])
def test_real_addresses_are_not(url: str) -> None:
    assert not is_placeholder(url)


def test_the_shipped_manifest_has_placeholders_for_both_programmes() -> None:
    assert placeholder_addresses(load_manifest(MANIFEST_FILE)) == {
        "csee-iet": "https://verify.example.org", "cmes-soe": "https://verify.example.org"}


def test_certificates_refuse_the_placeholder_and_number_nothing(tmp_path: Path) -> None:
    register = tmp_path / "register.sqlite"
    result = cli("certificates", SAMPLES_FILE, "--out", tmp_path / "out", "--register", register,
                 "--init-register", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 1
    assert result.stderr == REFUSED.format(programme="cmes-soe")
    with Register(register) as reg:
        assert reg.rows() == []
    assert not (tmp_path / "out" / "print.pdf").exists()


def test_the_placeholder_is_refused_in_chinese_too(tmp_path: Path) -> None:
    result = cli("certificates", SAMPLES_FILE, "--out", tmp_path / "out", "--register",
                 tmp_path / "r.sqlite", "--init-register", "--manifest", MANIFEST_FILE,
                 env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 1
    assert result.stderr == (
        "错误：cmes-soe 的证书核验网址 https://verify.example.org 是占位地址：请在清单的 "
        "certificates: cmes-soe: verify_url 中填写 formgen serve --register 实际运行的网址，"
        "或使用 --verify-url\n")


@pytest.mark.slow  # formgen check reads every template's fonts: about 2 s
def test_check_warns_of_the_placeholder_naming_the_key_and_the_option() -> None:
    result = cli("check", "--manifest", MANIFEST_FILE)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [WARNING.format(programme="csee-iet"),
                                          WARNING.format(programme="cmes-soe")]
