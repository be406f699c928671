"""Extraction benchmark on ../shared/dev-data: products (upstream micro F1), article main text (shingle F1),
rating widgets, recipe aggregate ratings and price strings. `python -m benchmarks.extraction [--data DIR] [--only X]`.

Each set is skipped with a message when its folder is absent; nothing here is imported by the project.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import lxml.html

from extractors import extract_page, extract_products, extract_reviews
from extractors.currencies import AMBIGUOUS_SIGNS
from extractors.prices import iso_currency, parse_price
from extractors.ratings import from_element, to_five

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "dev-data"
# The product benchmark's currency column is the sign as shown; score_products.py maps these to ISO.
PRODUCT_SIGNS = {"€": "EUR", "£": "GBP", "₹": "INR", "Rs": "PKR", "₽": "RUB", "zł": "PLN", "тг.": "KZT", "Lei": "RON",
                 "Kn": "HRK", "ر.س": "SAR", "원~": "KRW", "CHF": "CHF", "BRL": "BRL", "EUR": "EUR", "NZD": "NZD",
                 "ARS": "ARS"}


def _dec(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _micro_f1(truth: dict[str, set], pred: dict[str, object]) -> float:
    """Upstream rules: empty prediction -> FN; right -> TP; wrong -> FP (+FN when there is a truth)."""
    tp = fp = fn = 0
    for key, true in truth.items():
        guess = pred.get(key)
        if guess is None:
            fn += bool(true)
        elif guess in true:
            tp += 1
        else:
            fp += 1
            fn += bool(true)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:.1f} pages/s" if seconds > 0 else "n/a"


def bench_products(folder: Path) -> None:
    gt = json.loads((folder / "ground-truth.json").read_text())
    price_pred, sku_pred, avail_pred, cur_pairs, seconds = {}, {}, {}, [], 0.0
    for key, truth in gt.items():
        body = gzip.open(folder / "html" / f"{key}.html.gz").read()
        start = time.process_time()
        products = extract_products(body, truth["url"])
        seconds += time.process_time() - start
        main = products[0] if products else None
        price_pred[key] = main.price if main and main.price is not None else None
        sku_pred[key] = main.sku if main else None
        avail_pred[key] = {"out_of_stock": "OutOfStock"}.get(main.availability if main else None, "InStock")
        sign = (truth.get("currency") or [None])[0]
        if sign in PRODUCT_SIGNS:
            cur_pairs.append((PRODUCT_SIGNS[sign], main.currency if main else None))
    price_f1 = _micro_f1({k: {_dec(x) for x in v.get("price", [])} - {None} for k, v in gt.items()}, price_pred)
    sku_f1 = _micro_f1({k: set(v.get("sku") or []) for k, v in gt.items()}, sku_pred)
    avail_f1 = _micro_f1({k: set(v["availability"]) for k, v in gt.items()}, avail_pred)
    currency = sum(a == b for a, b in cur_pairs) / len(cur_pairs) if cur_pairs else 0.0
    print(f"products   n={len(gt)} price_f1={price_f1:.3f} sku_f1={sku_f1:.3f} avail_f1={avail_f1:.3f} "
          f"currency_acc={currency:.3f} (n={len(cur_pairs)}) ms/page={1000 * seconds / len(gt):.1f} "
          f"{_rate(len(gt), seconds)}")


def _shingles(text: str) -> Counter:
    tokens = re.findall(r"\w+", text or "")
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def bench_articles(folder: Path) -> None:
    gt = json.loads((folder / "ground-truth.json").read_text())
    precisions, recalls, exact, seconds = [], [], 0, 0.0
    for key, truth in gt.items():
        body = gzip.open(folder / "html" / f"{key}.html.gz").read()
        start = time.process_time()
        predicted = extract_page(body, truth["url"]).main_text or ""
        seconds += time.process_time() - start
        ours, theirs = _shingles(predicted), _shingles(truth["articleBody"])
        tp = sum((ours & theirs).values())
        fp, fn = sum((ours - theirs).values()), sum((theirs - ours).values())
        total = tp + fp + fn
        if total:
            tp, fp, fn = tp / total, fp / total, fn / total
        if tp + fp > 0:
            precisions.append(tp / (tp + fp) if fp or fn else 1.0)
        if tp + fn > 0:
            recalls.append(tp / (tp + fn) if fp or fn else 1.0)
        exact += re.findall(r"\w+", predicted) == re.findall(r"\w+", truth["articleBody"])
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"articles   n={len(gt)} main_text_f1={f1:.3f} precision={precision:.3f} recall={recall:.3f} "
          f"accuracy={exact / len(gt):.3f} {_rate(len(gt), seconds)}")


def bench_ratings(folder: Path) -> None:
    cases = json.loads((folder / "rating_values.json").read_text())
    right = scored = false_pos = nulls = 0
    start = time.process_time()
    for case in cases:
        node = lxml.html.fragment_fromstring(case["html"], create_parent="div")[0]
        ours = from_element(node)
        if case["ratingValue"] is None:
            nulls += 1
            false_pos += ours is not None
            continue
        scored += 1
        expected = to_five(case["ratingValue"], case.get("bestRating"))
        right += ours is not None and expected is not None and abs(ours - expected) < 0.05
    stars_right = stars_n = 0
    stars_file = folder / "star_rating_snippets.jsonl"
    if stars_file.exists():
        for line in stars_file.read_text().splitlines():
            case = json.loads(line)
            root = lxml.html.fragment_fromstring(case["html"].strip(), create_parent="div")
            ours = from_element(root[0] if len(root) == 1 else root)
            stars_n += 1
            expected = case["expected_stars"]
            stars_right += (ours is None) if expected is None else (
                ours is not None and abs(ours - float(expected)) <= 0.5)
    seconds = time.process_time() - start
    print(f"ratings    widgets n={scored} accuracy={right / max(1, scored):.3f} false_positives={false_pos}/{nulls} "
          f"stars n={stars_n} accuracy={stars_right / max(1, stars_n):.3f} "
          f"{_rate(len(cases) + stars_n, seconds)} (snippets)")


def bench_recipe_ratings(folder: Path) -> None:
    gt = json.loads((folder / "ground-truth.json").read_text())
    rating_ok = count_ok = 0
    seconds = 0.0
    for key, truth in gt.items():
        body = gzip.open(folder / "html" / f"{key}.html.gz").read()
        start = time.process_time()
        page = extract_reviews(body, truth.get("canonical_url") or "https://example.org/")
        seconds += time.process_time() - start
        expected = to_five(truth["ratings"])
        rating_ok += page.aggregate_rating is not None and expected is not None and abs(
            page.aggregate_rating - expected) <= 0.01
        count_ok += page.review_count == truth["ratings_count"]
    print(f"recipes    n={len(gt)} aggregate_rating_acc={rating_ok / len(gt):.3f} "
          f"rating_count_acc={count_ok / len(gt):.3f} {_rate(len(gt), seconds)}")


def bench_price_strings(folder: Path) -> None:
    rows = [json.loads(line) for line in (folder / "price_strings.jsonl").read_text().splitlines() if line.strip()]
    groups = {"all": rows, "real-world": [r for r in rows if not r["synthetic_currency_probe"]],
              "EXAMPLES_2": [r for r in rows if r["group"] == "PRICE_PARSING_EXAMPLES_2"]}
    start = time.process_time()
    results = {}
    for row in rows:
        parsed = parse_price(row["price_raw"], row["currency_hint"], row["decimal_separator"])
        results[row["id"]] = parsed
    seconds = time.process_time() - start
    for name, subset in groups.items():
        amounts = sum((results[r["id"]].amount == _dec(r["expected_amount"])) if r["expected_amount"] is not None
                      else results[r["id"]].amount is None for r in subset)
        skipped = right = 0
        for r in subset:
            sign = r["expected_currency"]
            if sign is None:
                right += results[r["id"]].currency is None
                continue
            if sign in AMBIGUOUS_SIGNS or iso_currency(sign) is None:
                skipped += 1
                continue
            right += results[r["id"]].currency == iso_currency(sign)
        scored = len(subset) - skipped
        print(f"prices     {name:10s} n={len(subset)} amount_acc={amounts / max(1, len(subset)):.3f} "
              f"currency_acc={right / max(1, scored):.3f} (skipped {skipped} ambiguous or unknown)")
    print(f"prices     {len(rows) / seconds:.0f} strings/s" if seconds else "prices     n/a")


BENCHES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "products": ("zyte-product-extraction-benchmark", bench_products),
    "articles": ("zyte-article-extraction-benchmark", bench_articles),
    "ratings": ("zyte-parsers-review-ratings", bench_ratings),
    "recipes": ("recipe-scrapers-ratings", bench_recipe_ratings),
    "prices": ("price-parser-strings", bench_price_strings),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the dev-data folder")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append", help="run only these sets")
    args = parser.parse_args(argv)
    for name in args.only or list(BENCHES):
        folder_name, bench = BENCHES[name]
        folder = args.data / folder_name
        if not folder.is_dir():
            print(f"{name:10s} skipped: {folder} not found")
            continue
        bench(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
