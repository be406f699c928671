"""Product matching benchmark: match_score on the public labelled pairs, the blocking's recall, and the time to
match two catalogs of 100,000 offers.

`python -m benchmarks.matching [--data DIR] [--offers 100000] [--skip-scale]`; run by hand.
1. **Matching.** On each set of `../shared/dev-data/product-matching` (Abt-Buy, Amazon-Google, Walmart-Amazon: the
   DeepMatcher splits, see its SOURCE.md), the threshold is the one that maximises the match class's F1 on
   `valid`, applied unchanged to `test` (as `../shared/tools/score_matching.py` does); precision, recall, F1 and
   pairs/s. Nothing is trained on `test`. Skipped when the data is absent (project tests never need it).
   The "learned" line is extractors.similarity.SimilarityModel: fitted on `train` (its word statistics on the two
   catalogs, every distinct record of all splits, read without labels, as a run reads every listed product), its
   threshold calibrated on `valid`, then scored on `test`; fit seconds and pairs/s. The "learned, IDF of train"
   line reads the word statistics of the train pairs' records only.
   **Held out** (`fixtures/labelled/matching/pairs.jsonl`, our own pairs in six languages, never used to choose
   anything): the rules at the product's MATCH_THRESHOLD, and the model learned from the three public train splits
   (threshold from their valid splits). Not a figure of the product's learned matching, which learns from the
   user's own catalogs (storage/matching.py): it shows how far a model learned on other shops carries.
2. **Blocking.** The two catalogs of each set (every distinct record of its left and right sides, all splits) go
   through extractors.blocking: the share of the labelled matches among the candidate pairs (recall) and how many
   times fewer pairs than all left × right are scored (reduction).
3. **Scale.** Two synthetic catalogs of `--offers` each (`fixtures/synthetic_catalogs.py`: the second holds 20 %
   of the first's products under other titles), blocked and scored; seconds and the recall of the planted matches.
   Then the learned path as a run takes it (storage/matching.py): a model fitted on 1,000 labelled candidate pairs
   (as a run gets from its identifiers; word statistics of both catalogs) scores the candidates the rules put at or
   above LEARNED_FLOOR; its seconds, and precision, recall and F1 of the planted matches at its 0.5 threshold.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from extractors.blocking import candidate_pairs
from extractors.matching import Offer, match_score
from extractors.similarity import SimilarityModel

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "dev-data" / "product-matching"
HELD_OUT = Path(__file__).resolve().parent.parent / "fixtures" / "labelled" / "matching" / "pairs.jsonl"
SETS = ("abt-buy", "amazon-google", "walmart-amazon")


def read_pairs(path: Path) -> list[tuple[dict, dict, int]]:
    return [(row["left"], row["right"], int(row["label"]))
            for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if row]


def f1_at(scored: list[tuple[float, int]], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for score, label in scored if score >= threshold and label)
    fp = sum(1 for score, label in scored if score >= threshold and not label)
    fn = sum(1 for score, label in scored if score < threshold and label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def best_threshold(scored: list[tuple[float, int]]) -> float:
    """The threshold maximising the match class's F1 (candidates: every distinct score)."""
    return max(sorted({score for score, _ in scored}), key=lambda t: f1_at(scored, t)[2])


def matching(folder: Path) -> dict[str, float]:
    valid = [(match_score(left, right), label) for left, right, label in read_pairs(folder / "valid.jsonl")]
    threshold = best_threshold(valid)
    pairs = read_pairs(folder / "test.jsonl")
    started = time.perf_counter()
    test = [(match_score(left, right), label) for left, right, label in pairs]
    seconds = time.perf_counter() - started
    precision, recall, f1 = f1_at(test, threshold)
    return {"precision": precision, "recall": recall, "f1": f1, "threshold": threshold,
            "valid_f1": f1_at(valid, threshold)[2], "pairs_per_s": len(pairs) / seconds}


def learned(folder: Path, catalog_idf: bool = True) -> dict[str, float]:
    records: dict[str, dict] = {}  # one object per distinct record, so that the model reads each once

    def split(name: str) -> tuple[list[tuple[dict, dict]], list[int]]:
        rows = read_pairs(folder / f"{name}.jsonl")
        pairs = [tuple(records.setdefault(json.dumps(record, sort_keys=True), record) for record in (left, right))
                 for left, right, _ in rows]
        return pairs, [label for _, _, label in rows]

    (train, train_labels), (valid, valid_labels), (test, test_labels) = map(split, ("train", "valid", "test"))
    started = time.perf_counter()
    model = SimilarityModel().fit(train, train_labels, texts=list(records.values()) if catalog_idf else None)
    fitted = time.perf_counter() - started
    threshold = model.calibrate(valid, valid_labels)
    valid_f1 = f1_at(list(zip(model.predict(valid), valid_labels)), threshold)[2]
    started = time.perf_counter()
    scores = model.predict(test)
    seconds = time.perf_counter() - started
    precision, recall, f1 = f1_at(list(zip(scores, test_labels)), threshold)
    return {"precision": precision, "recall": recall, "f1": f1, "threshold": threshold, "valid_f1": valid_f1,
            "fit_s": fitted, "pairs_per_s": len(test) / seconds}


def held_out(data: Path | None) -> dict[str, dict[str, float]]:
    """Our own pairs: the rules at MATCH_THRESHOLD; with the public sets, the model learned from their train splits."""
    from storage.matching import MATCH_THRESHOLD

    rows = read_pairs(HELD_OUT)
    labels = [label for _, _, label in rows]
    rules = [(match_score(left, right), label) for left, right, label in rows]
    figures = {"rules": dict(zip(("precision", "recall", "f1"), f1_at(rules, MATCH_THRESHOLD)))}
    if data is not None:
        train = [row for name in SETS for row in read_pairs(data / name / "train.jsonl")]
        valid = [row for name in SETS for row in read_pairs(data / name / "valid.jsonl")]
        model = SimilarityModel().fit([(a, b) for a, b, _ in train], [label for *_, label in train],
                                      texts=[side for a, b, _ in train + rows for side in (a, b)])
        threshold = model.calibrate([(a, b) for a, b, _ in valid], [label for *_, label in valid])
        scores = model.predict([(a, b) for a, b, _ in rows])
        figures["learned on the public sets"] = dict(zip(("precision", "recall", "f1"),
                                                         f1_at(list(zip(scores, labels)), threshold)))
    return figures


def blocking(folder: Path) -> dict[str, float]:
    left_ids: dict[str, int] = {}
    right_ids: dict[str, int] = {}
    matches = set()
    for split in ("train", "valid", "test"):
        for left, right, label in read_pairs(folder / f"{split}.jsonl"):
            i = left_ids.setdefault(json.dumps(left, sort_keys=True), len(left_ids))
            j = right_ids.setdefault(json.dumps(right, sort_keys=True), len(right_ids))
            if label:
                matches.add((i, j))
    left = [json.loads(key) for key in left_ids]
    right = [json.loads(key) for key in right_ids]
    started = time.perf_counter()
    candidates = candidate_pairs(left, right)
    seconds = time.perf_counter() - started
    return {"left": len(left), "right": len(right), "candidates": len(candidates),
            "recall": len(matches & candidates) / len(matches),
            "reduction": len(left) * len(right) / max(1, len(candidates)), "seconds": seconds}


def scale(offers: int) -> dict[str, float]:
    from fixtures.synthetic_catalogs import catalogs

    left, right, planted = catalogs(offers)
    started = time.perf_counter()
    a, b = [Offer.of(item) for item in left], [Offer.of(item) for item in right]
    candidates = candidate_pairs(a, b)
    blocked = time.perf_counter() - started
    scores = {(i, j): match_score(a[i], b[j]) for i, j in candidates}
    seconds = time.perf_counter() - started
    figures = {"offers": offers, "candidates": len(candidates), "blocking_s": blocked, "seconds": seconds,
               "recall": len(planted & set(scores)) / len(planted),
               "reduction": offers * offers / max(1, len(candidates))}
    from storage.matching import LEARNED_FLOOR

    rng = random.Random(1)
    shown = rng.sample(sorted(planted & candidates), 500) + rng.sample(sorted(candidates - planted), 500)
    started = time.perf_counter()
    model = SimilarityModel().fit([(left[i], right[j]) for i, j in shown], [1] * 500 + [0] * 500, texts=left + right)
    worth = sorted(pair for pair, score in scores.items() if score >= LEARNED_FLOOR)
    learned = {pair for pair, p in zip(worth, model.predict([(left[i], right[j]) for i, j in worth])) if p >= 0.5}
    figures["learned_s"] = time.perf_counter() - started
    figures["learned_pairs"] = len(worth)
    figures["learned_prf"] = f1_at([(1.0 if pair in learned else 0.0, pair in planted) for pair in candidates], 0.5)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)
    if all((args.data / name / "test.jsonl").exists() for name in SETS):
        for name in SETS:
            m = matching(args.data / name)
            print(f"{name:15} test P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                  f"(threshold {m['threshold']:.3f} from valid, valid F1={m['valid_f1']:.3f}) "
                  f"pairs/s={m['pairs_per_s']:,.0f}", flush=True)
            for label, catalog_idf in (("learned", True), ("learned, IDF of train", False)):
                m = learned(args.data / name, catalog_idf)
                print(f"{name:15} {label} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                      f"(threshold {m['threshold']:.3f} from valid, valid F1={m['valid_f1']:.3f}) "
                      f"fit {m['fit_s']:.1f} s, pairs/s={m['pairs_per_s']:,.0f}", flush=True)
        for name in SETS:
            b = blocking(args.data / name)
            print(f"{name:15} blocking {b['left']:,} x {b['right']:,}: {b['candidates']:,} candidates, recall "
                  f"{b['recall']:.3f}, reduction {b['reduction']:,.0f}x, {b['seconds']:.2f} s", flush=True)
    else:
        print(f"skipped: no labelled pairs in {args.data} (../shared/dev-data/product-matching)")
    public = args.data if all((args.data / name / "train.jsonl").exists() for name in SETS) else None
    for label, m in held_out(public).items():
        print(f"held-out (ours) {label}: P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f}", flush=True)
    if not args.skip_scale:
        s = scale(args.offers)
        print(f"scale {s['offers']:,} x {s['offers']:,}: {s['candidates']:,} candidates "
              f"(reduction {s['reduction']:,.0f}x), recall of planted matches {s['recall']:.3f}, blocking "
              f"{s['blocking_s']:.1f} s, blocking and scoring {s['seconds']:.1f} s (target <= 600 s)")
        precision, recall, f1 = s["learned_prf"]
        print(f"scale, learned: {s['learned_pairs']:,} candidates at or above the floor scored in "
              f"{s['learned_s']:.1f} s (fit included); planted matches P={precision:.3f} R={recall:.3f} F1={f1:.3f}; "
              f"in all {s['seconds'] + s['learned_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
