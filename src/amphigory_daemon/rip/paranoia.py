"""cd-paranoia (libcdio's cdparanoia): the command that reads one track of a CD in a drive to raw PCM, and a
line parser for the progress it writes to stderr with ``-e``.

Besides its banner, ``-e`` gives the span (``Ripping from sector N`` / ``to sector M``) and one line per
paranoia callback, ``##: <code> [<name>] @ <offset>``, the offset counted in 16-bit words (1,176 per sector).
Code 0 is a read, 14 a write of verified audio; 12/13 are read (transport) and cache errors, which paranoia
retries; 6 (``skip``) means it gave up on a stretch: the audio there is not what the disc holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_SECTOR = 1176
BYTES_PER_SECTOR = 2352
READ, SKIP, READ_ERROR, CACHE_ERROR, WROTE = 0, 6, 12, 13, 14
_CALLBACK = re.compile(r"^##: (\d+) \[([^\]]*)\] @ (-?\d+)")
_SPAN = re.compile(r"^\s*(?:Ripping from|to) sector\s+(-?\d+)")


def paranoia_argv(program: str, device: str, track: int, output: Path) -> list[str]:
    """Read ``track`` of the CD in ``device`` to ``output`` as raw 16-bit little-endian PCM, progress on stderr."""
    return [program, "-e", "-r", "-d", device, str(track), str(output)]


@dataclass(frozen=True)
class ParanoiaEvent:
    """One callback line: its code, its name, and the sector it is at."""

    code: int
    name: str
    sector: int


def parse_callback(line: str) -> ParanoiaEvent | None:
    """The callback a ``##:`` line reports; None for any other line."""
    match = _CALLBACK.match(line)
    if match is None:
        return None
    code, name, words = match.groups()
    return ParanoiaEvent(int(code), name, int(words) // WORDS_PER_SECTOR)


@dataclass
class ParanoiaProgress:
    """Feed it cd-paranoia's stderr lines; it knows the span, how far the rip is and which errors it met."""

    first_sector: int | None = None
    last_sector: int | None = None
    read_sector: int | None = None
    written_sector: int | None = None
    read_errors: int = 0
    skips: int = 0

    def feed(self, line: str) -> bool:
        """Take one line; True when it moved the rip on or reported an error."""
        event = parse_callback(line)
        if event is None:
            span = _SPAN.match(line)
            if span is not None:
                if line.lstrip().startswith("Ripping"):
                    self.first_sector = int(span.group(1))
                else:
                    self.last_sector = int(span.group(1))
            return False
        if event.code == READ:
            self.read_sector = max(event.sector, self.read_sector or event.sector)
        elif event.code == WROTE:
            self.written_sector = max(event.sector, self.written_sector or event.sector)
        elif event.code in (READ_ERROR, CACHE_ERROR):
            self.read_errors += 1
        elif event.code == SKIP:
            self.skips += 1
        else:
            return False
        return True

    @property
    def sectors_done(self) -> int:
        """Sectors past the start: verified ones once paranoia writes, read ones before that."""
        at = self.written_sector if self.written_sector is not None else self.read_sector
        if at is None or self.first_sector is None:
            return 0
        return max(0, at - self.first_sector)

    @property
    def fraction(self) -> float | None:
        """How much of the span is done (0..1); None before the span is known."""
        if self.first_sector is None or self.last_sector is None:
            return None
        total = self.last_sector - self.first_sector + 1
        return min(1.0, self.sectors_done / total) if total > 0 else None

    def problem(self) -> str | None:
        """What went wrong that paranoia could not correct (None when the audio is what the disc holds)."""
        if self.skips:
            return (f"cd-paranoia skipped {self.skips} stretch(es) it could not read "
                    f"({self.read_errors} read errors); the disc is damaged or dirty")
        return None
