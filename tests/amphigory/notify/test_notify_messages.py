"""What notifications say: what was filed where, why a disc needs a person and where to go, why something failed
and what to do."""

from __future__ import annotations

from amphigory.notify import messages as say


def test_done_says_what_was_filed_and_where() -> None:
    notice = say.done("Film (2001)", "fp", ["Movies/Film (2001)/Film (2001).mkv"], "/srv/library", "http://h/discs/fp")
    assert notice.kind == "done" and notice.title == "Done: Film (2001)"
    assert "/srv/library" in notice.body and "- Movies/Film (2001)/Film (2001).mkv" in notice.body
    assert "1 file:" in notice.body and notice.url == "http://h/discs/fp"


def test_needs_review_says_why_and_where_to_go() -> None:
    held = say.needs_review("DISC_LABEL", "fp", 2, "http://h/discs/fp", "nobody named it")
    assert "2 titles of DISC_LABEL ripped and held: nobody named it" in held.body
    assert held.body.endswith("http://h/discs/fp")
    nothing = say.needs_review("DISC_LABEL", "fp", 0, "http://h/discs/fp", "the rules picked no title")
    assert "Nothing of DISC_LABEL was ripped" in nothing.body and "Choose the titles" in nothing.body


def test_failed_says_why_and_what_to_do() -> None:
    in_drive = say.failed("Film", "fp", ["title 1: rip failed: read error"], "http://h/discs/fp", True)
    assert in_drive.kind == "failed" and "- title 1: rip failed: read error" in in_drive.body
    assert "still in the drive" in in_drive.body and "retry" in in_drive.body
    out = say.failed("Film", "fp", ["title 1: filing failed: disk full"], "http://h/discs/fp", False)
    assert "still in the drive" not in out.body and "Retry" in out.body
