"""config/keys.py: bring-your-own MACsec keys (``macsecKeys``): the CKN and CAK formats, the CAK
length the cipher needs, key hygiene (no whitespace, no repeated digit), both links per port, a
known port, and the warning about a CAK used twice; never the key in a message."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from expressroute_encryption.config.keys import cak_format_problem, cak_problem, ckn_problem, key_reuse_warnings
from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import BYO_CAK, BYO_CKN, CAK2, SMALL, base_config, byo_links, only_problem, port, problems


@SMALL
@given(st.text(alphabet="0123456789abcdefABCDEF", max_size=70))
def test_ckn_is_an_even_number_of_hex_digits_up_to_64(ckn):
    assert (ckn_problem(ckn) is None) == (2 <= len(ckn) <= 64 and len(ckn) % 2 == 0)


@pytest.mark.parametrize("cipher,digits", [("GcmAes128", 32), ("GcmAesXpn128", 32), ("GcmAes256", 64),
                                           ("GcmAesXpn256", 64)])
def test_cak_length_follows_the_cipher(cipher, digits):
    assert cak_problem("a" * digits, cipher) is None
    other = 96 - digits
    assert cak_problem("a" * other, cipher) == f"must be exactly {digits} hexadecimal digits for {cipher} (value not shown)"


def test_cak_format_before_the_cipher_is_known():
    assert cak_format_problem("ab" * 16) is None and cak_format_problem("ab" * 32) is None
    assert cak_format_problem("zz" * 16).startswith("must contain only hexadecimal digits")
    assert cak_format_problem("ab" * 20).startswith("must be exactly 32")


def test_byo_keys_valid():
    config = parse_stack_config(base_config(macsecKeys=byo_links()))
    assert config.macsec_keys["port-a"].link1.cak.get_secret_value() == BYO_CAK


@pytest.mark.parametrize("ckn", ["abc", "zz" * 4, "ab" * 33, ""])
def test_byo_ckn_format(ckn):
    msg = only_problem(base_config(macsecKeys=byo_links(link2={"cak": BYO_CAK, "ckn": ckn})))
    assert msg == "macsecKeys.port-a.link2.ckn: must be an even number (2-64) of hexadecimal digits (value not shown)"


def test_byo_short_cak_refused_for_256_bit_cipher():
    short = BYO_CAK[:32]
    msg = only_problem(base_config(macsecKeys=byo_links(link1={"cak": short, "ckn": BYO_CKN})))
    assert msg == "macsecKeys.port-a.link1.cak: must be exactly 64 hexadecimal digits for GcmAes256 (value not shown)"
    assert short not in msg


@pytest.mark.parametrize("cak", ["ab" * 20, "g" * 64, ""])
def test_byo_cak_format(cak):
    msg = only_problem(base_config(macsecKeys=byo_links(link1={"cak": cak, "ckn": BYO_CKN})))
    assert msg.startswith("macsecKeys.port-a.link1.cak: must ")
    assert msg.endswith("(value not shown)")


def test_byo_cak_length_follows_the_cipher():
    values = base_config(ports=[port(macsec={"cipher": "GcmAes128"})], macsecKeys=byo_links())
    assert problems(values) == [
        f"macsecKeys.port-a.{link}.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)"
        for link in ("link1", "link2")
    ]


def test_byo_keys_need_both_links():
    values = base_config(macsecKeys={"port-a": {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}}})
    assert only_problem(values) == "macsecKeys.port-a.link2: required"


def test_byo_keys_for_unknown_port():
    values = base_config(macsecKeys={"port-b": byo_links()["port-a"]})
    assert only_problem(values).startswith("macsecKeys.port-b: no port of that name in ports[] (port-a)")


def test_a_key_pasted_as_a_port_name_is_not_printed():
    values = base_config(macsecKeys={BYO_CAK: byo_links()["port-a"]})
    msg = only_problem(values)
    assert msg.startswith("macsecKeys.<a name that looks like key material>: no port of that name")
    assert BYO_CAK not in msg


def key_problems(cak: str = BYO_CAK, ckn: str = BYO_CKN) -> list[str]:
    keys = {"port-a": {"link1": {"cak": cak, "ckn": ckn}, "link2": {"cak": CAK2, "ckn": BYO_CKN}}}
    return problems(base_config(macsecKeys=keys))


@pytest.mark.parametrize("cak", [BYO_CAK + "\n", " " + BYO_CAK, BYO_CAK[:30] + " " + BYO_CAK[31:], BYO_CAK + "\r\n",
                                 BYO_CAK[:-1] + "\t"])
def test_a_key_with_whitespace_is_refused_not_stripped(cak):
    [line] = key_problems(cak=cak)
    assert line.startswith("macsecKeys.port-a.link1.cak: must not contain spaces, tabs or line breaks")
    assert BYO_CAK[:16] not in line


def test_a_ckn_with_a_trailing_newline_is_refused():
    [line] = key_problems(ckn=BYO_CKN + "\n")
    assert line.startswith("macsecKeys.port-a.link1.ckn: must not contain spaces")


@pytest.mark.parametrize("cak", ["0" * 64, "f" * 32, "AaAa" * 16])
def test_a_cak_of_one_repeated_digit_is_refused(cak):
    assert key_problems(cak=cak) == [
        "macsecKeys.port-a.link1.cak: must not be one digit repeated (such as all zeros): that key is guessable "
        "(value not shown)"]


def test_the_same_cak_on_both_links_or_two_ports_is_warned_about_without_the_key():
    same = {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}, "link2": {"cak": BYO_CAK.upper(), "ckn": BYO_CKN}}
    other = {"link1": {"cak": CAK2, "ckn": BYO_CKN}, "link2": {"cak": BYO_CAK, "ckn": BYO_CKN}}
    config = parse_stack_config(base_config(ports=[port(), port(name="port-b")], macsecKeys={"port-a": same, "port-b": other}))
    warnings = key_reuse_warnings(config.macsec_keys)
    assert warnings == [
        "macsecKeys.port-a.link1.cak, macsecKeys.port-a.link2.cak, macsecKeys.port-b.link2.cak: the same CAK is "
        "used on more than one port; a leaked key would open all of them: give each link its own key"]
    assert key_reuse_warnings(parse_stack_config(base_config(macsecKeys={"port-a": same})).macsec_keys) == [
        "macsecKeys.port-a.link1.cak, macsecKeys.port-a.link2.cak: the same CAK is used on both links of one port; "
        "a leaked key would open all of them: give each link its own key"]
