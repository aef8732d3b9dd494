"""A full disk is told apart from other failures, by errno and by a tool's words."""

from __future__ import annotations

import errno

from amphigory.library.filing import _failure
from amphigory_protocol.disk_full import is_disk_full, says_disk_full


def test_a_full_disk_by_its_errno() -> None:
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not is_disk_full(OSError(errno.EIO, "Input/output error"))
    assert not is_disk_full(ValueError("no space left on device"))


def test_a_full_disk_by_a_tools_words() -> None:
    assert says_disk_full(["frame=  10", "av_interleaved_write_frame(): No space left on device"])
    assert not says_disk_full(["Invalid data found when processing input"])


def test_a_filing_that_ran_out_of_space_is_disk_full_and_others_stay_io_error() -> None:
    code, message = _failure(OSError(errno.ENOSPC, "No space left on device", "/lib/.amphigory-staging/t.mkv"))
    assert code == "disk_full"
    assert message == ("filing failed: the library's disk is full (No space left on device: "
                       "/lib/.amphigory-staging/t.mkv)")
    assert _failure(OSError(errno.EIO, "Input/output error", "/lib/x.mkv"))[0] == "io_error"
