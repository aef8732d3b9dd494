"""A Blu-ray's BDMV/META/DL/bdmt_*.xml title: parsed, English preferred, and exposed by the native scan."""

from __future__ import annotations

import shutil
from pathlib import Path

from amphigory_daemon.formats.bluray_meta import parse_bdmt
from amphigory_daemon.scan.native import scan_path


def bdmt(name: str, lang: str = "eng") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8" ?>
<disclib xmlns="urn:BDA:bdmv;disclib" xmlns:di="urn:BDA:bdmv;discinfo">
  <di:discinfo>
    <di:date>2013-07-16</di:date>
    <di:title>
      <di:name>{name}</di:name>
      <di:numSets>1</di:numSets>
      <di:setNumber>1</di:setNumber>
    </di:title>
    <di:description><di:thumbnail href="42_thumb.jpg" size="416x240" /></di:description>
    <di:language>{lang}</di:language>
  </di:discinfo>
</disclib>""".encode()


def test_the_title_is_read_and_tidied() -> None:
    assert parse_bdmt(bdmt("  The Office:\n  Season One ")) == "The Office: Season One"


def test_garbage_and_entity_tricks_are_no_title() -> None:
    assert parse_bdmt(b"not xml at all <") is None
    assert parse_bdmt(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>') is None
    assert parse_bdmt(b"<disclib/>") is None


def test_the_native_scan_exposes_the_english_title(samples: Path, tmp_path: Path) -> None:
    disc = tmp_path / "DISC"
    shutil.copytree(samples / "bluray" / "AMPHIGORY_SAMPLE_BD", disc)
    assert scan_path(disc).meta_title is None
    meta = disc / "BDMV" / "META" / "DL"
    meta.mkdir(parents=True)
    (meta / "bdmt_fra.xml").write_bytes(bdmt("L'Échantillon", "fra"))
    (meta / "bdmt_eng.xml").write_bytes(bdmt("Amphigory: The Sample"))
    assert scan_path(disc).meta_title == "Amphigory: The Sample"
    (meta / "bdmt_eng.xml").write_bytes(b"broken")
    assert scan_path(disc).meta_title == "L'Échantillon"


def test_a_makemkv_blu_ray_name_other_than_its_label_is_its_meta_title(shared_fixtures: Path) -> None:
    dev = shared_fixtures / "thediscdb" / "dev"
    assert scan_path(dev / "bd-spirited-away-d1" / "makemkv-info.txt").meta_title == "Spirited Away"
    assert scan_path(dev / "bd-die-hard-2-5mc-d1" / "makemkv-info.txt").meta_title is None  # the label again
    assert scan_path(dev / "dvd-office-space-d1" / "makemkv-info.txt").meta_title is None  # DVDs have none
