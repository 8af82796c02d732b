"""Split a writer's question file into dev and test parts, reproducibly.

    python eval/split_questions.py WRITTEN.jsonl --out eval/questions/library2 [--seed 7]

Appends to OUT/dev.jsonl and OUT/test.jsonl. The two halves of a contrastive pair
stay together; each kind (and pairs, follow-ups) is split evenly by a seeded shuffle,
so dev (tuned on) and test (only scored) ask the same kinds of questions.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("written", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [json.loads(line) for path in args.written for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    units: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        units[row.get("pair") or row["id"]].append(row)
    strata: dict[tuple, list[str]] = defaultdict(list)
    for key, members in units.items():
        first = members[0]
        strata[(first["kind"], "pair" if first.get("pair") else "", "followup" if first.get("history") else "")].append(key)
    rng = random.Random(args.seed)
    parts: dict[str, list[dict]] = {"dev": [], "test": []}
    for stratum in sorted(strata):
        keys = sorted(strata[stratum])
        rng.shuffle(keys)
        for i, key in enumerate(keys):
            parts["dev" if i % 2 == 0 else "test"].extend(units[key])
    args.out.mkdir(parents=True, exist_ok=True)
    for name, items in parts.items():
        with open(args.out / f"{name}.jsonl", "a", encoding="utf-8") as fh:
            for row in sorted(items, key=lambda r: r["id"]):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{args.out / name}.jsonl: +{len(items)}")


if __name__ == "__main__":
    main()
