"""What a notification says (pure): a disc done, a disc that needs a person, a rip that failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

NoticeKind = Literal["done", "needs_review", "failed", "test"]


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    title: str
    body: str
    fingerprint: str | None = None
    url: str | None = None  # the page to open (the disc's review page)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def disc_name(title: str, year: int | None) -> str:
    return f"{title} ({year})" if year else title


def done(name: str, fingerprint: str, filed: Sequence[str], library: str, url: str) -> Notice:
    """Every hands-free rip of a disc filed: what went where."""
    listed = "\n".join(f"- {path}" for path in filed)
    count = f"{len(filed)} file{'s' if len(filed) != 1 else ''}"
    return Notice("done", f"Done: {name}", f"{name} is in the library ({library}), {count}:\n{listed}\n{url}",
                  fingerprint, url)


def needs_review(name: str, fingerprint: str, held: int, url: str, why: str) -> Notice:
    """Ripped, held in ripped/ until a person names the disc."""
    if not held:
        return Notice("needs_review", f"Needs review: {name}", f"Nothing of {name} was ripped: {why}. Choose the "
                      f"titles: {url}", fingerprint, url)
    return Notice("needs_review", f"Needs review: {name}",
                  f"{held} title{'s' if held != 1 else ''} of {name} ripped and held: {why}. Name the disc to file "
                  f"them: {url}", fingerprint, url)


def failed(name: str, fingerprint: str, problems: Sequence[str], url: str, disc_in_drive: bool) -> Notice:
    """A rip or a filing failed: why, and what a person can do about it."""
    why = "\n".join(f"- {p}" for p in problems)
    todo = ("The disc is still in the drive: clean it if it is dirty, then retry the failed tasks on the queue "
            "page, or open the disc" if disc_in_drive else "Retry the failed tasks on the queue page, or open the disc")
    return Notice("failed", f"Failed: {name}", f"{why}\n{todo}: {url}", fingerprint, url)


def test() -> Notice:
    return Notice("test", "Amphigory test notification", "Notifications reach you. Nothing else happened.")
