"""A Blu-ray's disc library metadata, `BDMV/META/DL/bdmt_<lang>.xml`: the disc's title as its author wrote it.

`<disclib><di:discinfo><di:title><di:name>Title</di:name>...` (namespace `urn:BDA:bdmv;discinfo`). The title
is a better search than the volume label ("The Office: Season 1" vs "THE_OFFICE_S1"). English is preferred.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from amphigory_daemon.media.base import DiscMedia, MediaError

MAX_BYTES = 256 * 1024  # a real one is a few hundred bytes; anything big is not one
_NAME = ".//{urn:BDA:bdmv;discinfo}title/{urn:BDA:bdmv;discinfo}name"


def parse_bdmt(data: bytes) -> str | None:
    """The disc title in a bdmt_*.xml, None when the file has none or is not one."""
    if len(data) > MAX_BYTES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # no entity games
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    name = root.find(_NAME)
    if name is None:
        name = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "name"), None)
    text = " ".join((name.text or "").split()) if name is not None else ""
    return text[:200] or None


def meta_title(media: DiscMedia) -> str | None:
    """The disc title from BDMV/META/DL, English first, then any other language; None when there is none."""
    folder = "BDMV/META/DL"
    try:
        if not media.exists(folder):
            return None
        names = sorted(n for n in media.listdir(folder) if n.lower().startswith("bdmt_")
                       and n.lower().endswith(".xml"))
        names.sort(key=lambda n: n.lower() != "bdmt_eng.xml")
        for name in names:
            if media.size(f"{folder}/{name}") <= MAX_BYTES and (title := parse_bdmt(media.read(f"{folder}/{name}"))):
                return title
    except (MediaError, OSError):
        return None  # unreadable metadata never stops a scan
    return None
