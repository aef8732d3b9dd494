"""Classification accuracy on TheDiscDB's 22 hand-labelled MakeMKV logs (../shared/fixtures/thediscdb/dev).

Prints per-disc rows and the overall figures of the fixtures' own scorer (score.py), then per-class precision
and recall against the hand labels. A benchmark: it prints figures and asserts nothing.

usage: python bench/classify_accuracy.py [THEDISCDB_DIR]
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from amphigory_daemon.formats.makemkv import parse_info
from amphigory_daemon.scan.classify import THEDISCDB_LABELS, classify_titles, facts_from_makemkv

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "thediscdb"
SCORER_LABELS = THEDISCDB_LABELS


def load_scorer(root: Path) -> ModuleType:
    """The fixtures' score.py, imported from where it lies."""
    spec = importlib.util.spec_from_file_location("thediscdb_score", root / "score.py")
    if spec is None or spec.loader is None:
        raise RuntimeError(f"no score.py in {root}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predict(root: Path) -> dict[str, dict[str, str]]:
    """Scorer labels for every title of every disc under ``root/dev``."""
    out: dict[str, dict[str, str]] = {}
    for log in sorted((root / "dev").glob("*/makemkv-info.txt")):
        disc = parse_info(log.read_bytes())
        verdicts = classify_titles([facts_from_makemkv(t) for t in disc.titles])
        out[log.parent.name] = {str(v.number): SCORER_LABELS.get(v.type, "other") for v in verdicts}
    return out


def per_class(truths: dict[str, Any], preds: dict[str, dict[str, str]]) -> None:
    """Precision and recall per scorer label over the labelled titles (unlabeled truth titles skipped)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for did, truth in truths.items():
        for t in truth["titles"]:
            if t["label"] == "unlabeled":
                continue
            want, got = t["label"], preds.get(did, {}).get(str(t["makemkv_title_index"]), "other")
            if want == got:
                tp[want] += 1
            else:
                fp[got] += 1
                fn[want] += 1
    print(f"{'class':15s} {'precision':>9s} {'recall':>7s} {'tp':>4s} {'fp':>4s} {'fn':>4s}")
    for label in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else float("nan")
        r = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else float("nan")
        print(f"{label:15s} {p:9.2f} {r:7.2f} {tp[label]:4d} {fp[label]:4d} {fn[label]:4d}")


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    scorer = load_scorer(root)
    truths = scorer.load_truths(str(root / "dev"))
    preds = predict(root)
    scorer.score(truths, preds)
    per_class(truths, preds)
    print(json.dumps({"discs": len(preds)}))


if __name__ == "__main__":
    main()
