"""Transcoding lives with the workers (`amphigory_worker.transcode`), which run it; this name stays for callers."""

from __future__ import annotations

from amphigory_worker.transcode import (
    HANDBRAKE_UHD_PRESET,
    TRANSCODE_MODES,
    Progress,
    Recipe,
    TranscodeError,
    TranscodeMode,
    Transcoder,
    commands,
    ffmpeg,
    ffmpeg_parser,
    handbrake,
    handbrake_preset,
    parse_handbrake_line,
    run,
    split_lines,
)

__all__ = ["HANDBRAKE_UHD_PRESET", "TRANSCODE_MODES", "Progress", "Recipe", "TranscodeError", "TranscodeMode",
           "Transcoder", "commands", "ffmpeg", "ffmpeg_parser", "handbrake", "handbrake_preset",
           "parse_handbrake_line", "run", "split_lines"]
