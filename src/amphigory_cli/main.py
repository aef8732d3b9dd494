"""The `amphigory` command: serve (webapp), daemon, demo (both), scan (one disc, printed).

Start-up matters for the one-shot commands (`scan` is meant to answer in well under 100 ms): each command imports
only what it uses, inside its branch below, and the servers' settings (every option, the webapp's and daemon's
config) are loaded only when the command is `serve` or `daemon`, or help is asked of the whole command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

# Commands whose options live in amphigory_cli.settings; the others never import it.
_SETTINGS_COMMANDS = frozenset({"serve", "daemon"})


def build_parser(with_settings: bool = True) -> argparse.ArgumentParser:
    """The whole command line; ``with_settings=False`` leaves the servers' options out (for the other commands,
    which do not need the cost of loading them)."""
    parser = argparse.ArgumentParser(
        prog="amphigory",
        description="Turn a shelf of DVDs, Blu-rays and audio CDs into a clean media library.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,daemon,demo,scan,rip}")

    serve = sub.add_parser("serve", help="run the webapp (HTTP API, pages, daemon socket)")
    daemon = sub.add_parser("daemon", help="run a drive daemon that connects to the webapp")
    if with_settings:
        from amphigory_cli import settings as cfg

        cfg.add_options(serve, cfg.SERVE_OPTIONS)
        cfg.add_options(daemon, cfg.DAEMON_OPTIONS)

    demo = sub.add_parser(
        "demo", help="run webapp + daemon with image drives holding the sample discs (SQLite in ./demo-data)"
    )
    demo.add_argument("--port", type=int, default=None, help="port of the webapp (default 6199)")
    demo.add_argument("--data-dir", dest="data_dir", default=None, help="data folder (default ./demo-data)")

    scan = sub.add_parser(
        "scan", help="scan one disc (image, folder, .cue, or a saved `makemkvcon -r info` log) and print it"
    )
    scan.add_argument("path", help="disc image, disc folder, .cue file or MakeMKV robot log")
    scan.add_argument("--json", action="store_true", help="print the full scan result as JSON")

    rip = sub.add_parser("rip", help="rip one title of a disc here, showing progress (the daemon's engine)")
    rip.add_argument("path", help="disc image, disc folder or .cue file")
    rip.add_argument("--title", type=int, required=True, help="title number (as `amphigory scan` lists them)")
    rip.add_argument("--output", default=".", help="output root folder (default: the current folder)")
    rip.add_argument("--name", default=None, help="file name without extension (default: 'title NN')")
    return parser


def _needs_settings(argv: Sequence[str]) -> bool:
    command = next((a for a in argv if not a.startswith("-")), None)
    return command is None or command in _SETTINGS_COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(with_settings=_needs_settings(argv)).parse_args(argv)
    if args.command == "serve":
        from amphigory_cli import settings as cfg
        from amphigory_cli.serve import serve

        return serve(cfg.webapp_settings(args))
    if args.command == "daemon":
        from amphigory_cli import settings as cfg
        from amphigory_cli.daemon import run_daemon

        return run_daemon(cfg.daemon_settings(args))
    if args.command == "demo":
        from amphigory_cli.demo import run_demo

        return run_demo(port=args.port, data_dir=args.data_dir)
    if args.command == "scan":
        from amphigory_cli.scan import run_scan

        return run_scan(args.path, as_json=args.json)
    if args.command == "rip":
        from amphigory_cli.rip import run_rip

        return run_rip(args.path, args.title, args.output, args.name)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
