"""The `amphigory` command: serve (webapp), daemon, worker (filing and transcoding jobs), demo (webapp + daemon),
scan and identify (one disc, printed), rip, doctor (what this machine has), install-service (start at boot). Each
command imports its own modules only when it runs.

Start-up matters for the one-shot commands (`scan` and `--version` are meant to answer in well under 100 ms): the
settings of every option (amphigory_cli.settings, with the webapp's and the daemon's config) are loaded only for the
commands whose options they declare.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

from amphigory_cli.config_file import ConfigError
from amphigory_cli.version import VersionAction

SERVICES = ("serve", "daemon", "worker")
# Commands whose options live in amphigory_cli.settings; the others never import it.
_SETTINGS_COMMANDS = frozenset({"serve", "daemon", "worker", "identify", "doctor"})
if TYPE_CHECKING:
    _Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def _serve(sub: _Subparsers) -> argparse.ArgumentParser:
    return sub.add_parser("serve", help="run the webapp (HTTP API, pages, daemon socket)")


def _daemon(sub: _Subparsers) -> argparse.ArgumentParser:
    return sub.add_parser("daemon", help="run a drive daemon that connects to the webapp")


def _worker(sub: _Subparsers) -> argparse.ArgumentParser:
    return sub.add_parser("worker", help="run filing and transcoding jobs from the queue for a webapp (any machine)")


def _demo(sub: _Subparsers) -> argparse.ArgumentParser:
    demo = sub.add_parser(
        "demo", help="run webapp + daemon with image drives holding the sample discs (SQLite in ./demo-data)"
    )
    demo.add_argument("--port", type=int, default=None, help="port of the webapp (default 6199)")
    demo.add_argument("--data-dir", dest="data_dir", default=None, help="data folder (default ./demo-data)")
    return demo


def _scan(sub: _Subparsers) -> argparse.ArgumentParser:
    scan = sub.add_parser(
        "scan", help="scan one disc (image, folder, .cue, or a saved `makemkvcon -r info` log) and print it"
    )
    scan.add_argument("path", help="disc image, disc folder, .cue file or MakeMKV robot log")
    scan.add_argument("--json", action="store_true", help="print the full scan result as JSON")
    return scan


def _identify(sub: _Subparsers) -> argparse.ArgumentParser:
    identify = sub.add_parser(
        "identify", help="scan one disc (or a saved `makemkvcon -r info` log) and say what it is: film, series "
        "and episodes, or album (TheDiscDB, TMDB, MusicBrainz)")
    identify.add_argument("path", help="disc image, disc folder, .cue file or MakeMKV robot log")
    identify.add_argument("--json", action="store_true", help="print the scan result plus `identification` as JSON")
    return identify


def _rip(sub: _Subparsers) -> argparse.ArgumentParser:
    rip = sub.add_parser("rip", help="rip one title of a disc here, showing progress (the daemon's engine)")
    rip.add_argument("path", help="disc image, disc folder or .cue file")
    rip.add_argument("--title", type=int, required=True, help="title number (as `amphigory scan` lists them)")
    rip.add_argument("--output", default=".", help="output root folder (default: the current folder)")
    rip.add_argument("--name", default=None, help="file name without extension (default: 'title NN')")
    return rip


def _doctor(sub: _Subparsers) -> argparse.ArgumentParser:
    return sub.add_parser("doctor", help="what this machine has for ripping: drives and permissions, tools, the "
                          "data folder, the webapp the daemon would use (exit 0 when the core works)")


def _install_service(sub: _Subparsers) -> argparse.ArgumentParser:
    service = sub.add_parser("install-service", help="start serve, daemon or worker at boot: a systemd unit (and, "
                             "for the daemon, a udev rule) on Linux, a launchd agent on macOS")
    service.add_argument("service", choices=SERVICES, help="what to run")
    scope = service.add_mutually_exclusive_group()
    scope.add_argument("--user", dest="scope", action="store_const", const="user",
                       help="a per-user service, started at login (the default)")
    scope.add_argument("--system", dest="scope", action="store_const", const="system",
                       help="a system service, started at boot (run as root; the service runs as --run-as)")
    service.add_argument("--run-as", default=None, help="the account a --system service runs as (default: you)")
    service.add_argument("--print", dest="print_only", action="store_true",
                         help="print the files instead of writing them")
    return service


# Each command's sub-parser, in the order `--help` lists them.
COMMANDS: dict[str, Callable[[_Subparsers], argparse.ArgumentParser]] = {
    "serve": _serve, "daemon": _daemon, "worker": _worker, "demo": _demo, "scan": _scan, "identify": _identify,
    "rip": _rip, "doctor": _doctor, "install-service": _install_service,
}


def _settings_options(command: str, parser: argparse.ArgumentParser) -> None:
    from amphigory_cli import settings as cfg

    options = {"serve": cfg.SERVE_OPTIONS, "daemon": cfg.DAEMON_OPTIONS, "worker": cfg.WORKER_OPTIONS,
               "identify": cfg.IDENTIFY_OPTIONS, "doctor": cfg.DOCTOR_OPTIONS}
    cfg.add_options(parser, options[command])


def build_parser(with_settings: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; ``with_settings=False`` leaves the options of `_SETTINGS_COMMANDS` out (for the other
    commands, which do not need the cost of loading them), and ``only`` builds that one command's sub-parser (with
    its options): a command's run never needs the others' (building them all was ~4 ms of argparse)."""
    parser = argparse.ArgumentParser(
        prog="amphigory",
        description="Turn a shelf of DVDs, Blu-rays and audio CDs into a clean media library.",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, add in COMMANDS.items():
        if only is None or name == only:
            command = add(sub)
            if with_settings and name in _SETTINGS_COMMANDS:
                _settings_options(name, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # a command named first needs only its own sub-parser; anything else (the top level's help, --version, a
    # mistake) gets every command, without their options, which the top level's help and errors never show
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(only=command) if command else build_parser(with_settings=False)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"amphigory: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command in _SETTINGS_COMMANDS:
        from amphigory_cli import settings as cfg
    if args.command == "serve":
        from amphigory_cli.serve import serve

        return serve(cfg.webapp_settings(args))
    if args.command == "daemon":
        from amphigory_cli.daemon import run_daemon

        return run_daemon(cfg.daemon_settings(args))
    if args.command == "worker":
        from amphigory_worker.main import run_worker

        try:
            settings = cfg.worker_settings(args)
        except ValueError as exc:
            print(f"amphigory worker: {exc}", file=sys.stderr)
            return 2
        return run_worker(settings)
    if args.command == "demo":
        from amphigory_cli.demo import run_demo

        return run_demo(port=args.port, data_dir=args.data_dir)
    if args.command == "scan":
        from amphigory_cli.scan import run_scan

        return run_scan(args.path, as_json=args.json)
    if args.command == "identify":
        from amphigory_cli.identify import run_identify

        return run_identify(args.path, as_json=args.json, settings=cfg.identify_settings(args))
    if args.command == "rip":
        from amphigory_cli.rip import run_rip

        return run_rip(args.path, args.title, args.output, args.name)
    if args.command == "doctor":
        from amphigory_cli.doctor import run_doctor

        return run_doctor(cfg.daemon_settings(args), cfg.config_paths("daemon", args))
    if args.command == "install-service":
        from amphigory_cli.service import install_service

        return install_service(args.service, args.scope or "user", args.run_as, print_only=args.print_only)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
