"""What the tools say about themselves, read from their own output (captured from ffmpeg 9, HandBrake 1.6 and
MakeMKV's robot mode)."""

from __future__ import annotations

from amphigory_cli.doctor import parse

DEMUXERS = """Formats:
 D.. = Demuxing supported
 .E. = Muxing supported
 ---
 D   dvbtxt          dvbtxt
 D   dvdvideo        DVD-Video
 D   dxa             DXA
 D   mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV
"""
PROTOCOLS = """Supported file protocols:
Input:
  async
  bluray
  cache
Output:
  crypto
  file
"""
DEBIAN_PROTOCOLS = "Supported file protocols:\nInput:\n  async\n  file\nOutput:\n  bluray\n"


def test_ffmpeg_demuxers_protocols_and_version() -> None:
    assert parse.ffmpeg_has_demuxer(DEMUXERS, "dvdvideo")
    assert parse.ffmpeg_has_demuxer(DEMUXERS, "mp4")
    assert not parse.ffmpeg_has_demuxer(DEMUXERS.replace("dvdvideo", "dvdaudio"), "dvdvideo")
    assert not parse.ffmpeg_has_demuxer(DEMUXERS, "Demuxing")
    assert parse.ffmpeg_has_input_protocol(PROTOCOLS, "bluray")
    assert not parse.ffmpeg_has_input_protocol(DEBIAN_PROTOCOLS, "bluray")  # only an output of that name
    assert parse.ffmpeg_version("ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright (c)") == "9.0.2"
    assert parse.ffmpeg_version("ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024") == "5.1.6"
    assert parse.ffmpeg_version("") is None


def test_first_line_skips_handbrakes_log() -> None:
    assert parse.first_line("[06:01:28] hb_init: starting libhb thread\nHandBrake 1.6.1\n") == "HandBrake 1.6.1"
    assert parse.first_line("\n\n") is None


def test_makemkv_evaluation_and_expired_key() -> None:
    lines = [
        'MSG:1005,0,1,"MakeMKV v1.17.7 linux(x64-release) started","%1 started","MakeMKV v1.17.7 linux(x64-release)"',
        'MSG:5050,0,2,"Evaluation version, 29 day(s) out of 30 remaining","Evaluation version, %1 day(s) out of %2 '
        'remaining","29","30"',
        'MSG:5075,131072,2,"The new version 1.18.2 is available for download at http://www.makemkv.com/download/"',
    ]
    assert parse.makemkv_version(lines) == "1.17.7"
    notes = parse.makemkv_key_notes(lines)
    assert notes == [(5050, "Evaluation version, 29 day(s) out of 30 remaining")]
    assert not parse.makemkv_key_expired(notes)
    expired = parse.makemkv_key_notes(['MSG:5021,260,1,"This application version is too old. Please download the '
                                       'latest version at http://www.makemkv.com/ or enter a registration key"'])
    assert parse.makemkv_key_expired(expired)
    assert parse.makemkv_version(["DRV:0,256,999,0,\"\",\"\",\"\""]) is None
