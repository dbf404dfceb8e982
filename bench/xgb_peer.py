#!/usr/bin/python3
"""xgb_peer.py: XGBoost as the peer of customs_risk's in-database GBDT model.

Benchmark-only: nothing in the extension uses this script, and its dependencies
(numpy and xgboost; Debian's python3-numpy and python3-xgboost, hence /usr/bin/python3
rather than whatever `python3` is first on PATH) are needed only to run the benchmark.

It reads a train and a valid CSV file (as written by PostgreSQL's `\\copy ... TO ... CSV
HEADER`; an empty field is NULL) and encodes the features the way the database model does:

  * numeric columns as they are (NULL = NaN = missing), in the order given;
  * then, per categorical column (NULL is a category of its own), two features:
      - out-of-fold target encoding: train row i (0-based, in file order) lies in fold
        row_folds(i, seed) (a splitmix64 mix of i and the seed, as model_train.c's
        RowFold) and gets (pos_k,-f + smoothing * prior) / (n_k,-f + smoothing), counting
        the train rows of its category k outside its fold f, with prior the mean label
        over all train rows; valid rows get (pos_k + smoothing * prior) / (n_k + smoothing)
        from all train rows, and unseen categories the prior.  Should the denominator be
        0 (smoothing 0 and no such rows) the encoding is the prior;
      - the category's count among all train rows (0 when unseen).

It trains xgboost (hist, binary:logistic, one thread), scores the valid rows and prints
`key value` lines: timings, precision / recall / revenue at inspection rates 1, 2, 5 and 10%
(the top k = ceil(rate * n) rows by score), ROC AUC, and single-threaded predict throughput.

Ties in score are broken by stable order: among equal scores the row earlier in the valid
file ranks higher.  (The extension's ranking_eval aggregates take the expectation over
random tie-breaking instead, so the two can differ slightly when a tie group straddles the
cut; the AUC here uses average ranks, which equals that expectation.)  As in ranking_eval,
k = max(ceil(rate * n - 1e-12 * rate * n - 1e-9), 1), the margin keeping 0.05 * 100 from
rounding up to 6 (and 0.28 * 7e7 from rounding up).

Usage:
  /usr/bin/python3 bench/xgb_peer.py --train T.csv --valid V.csv --label COL
      --categorical C1,C2,... --numeric N1,N2,... [--revenue COL] [--trees 100]
      [--depth 6] [--eta 0.1] [--lambda 1] [--min-child-weight 1] [--max-bin 255]
      [--folds 5] [--smoothing 20] [--seed 0] [--predict-rows 1000000]
      [--dump-scores FILE]
"""

import argparse
import csv
import math
import sys
import time

import numpy as np
import xgboost as xgb

RATES = (1, 2, 5, 10)  # inspection rates, percent
LABEL_VALUES = {"0": 0, "1": 1, "f": 0, "t": 1}


class InputError(Exception):
    """A problem with the input files or arguments, reported without a traceback."""


def parse_args(argv):
    """The command-line arguments, checked."""
    p = argparse.ArgumentParser(
        description="XGBoost peer of the in-database GBDT model (benchmark only).")
    p.add_argument("--train", required=True, help="train CSV file with a header row")
    p.add_argument("--valid", required=True, help="valid CSV file with a header row")
    p.add_argument("--label", required=True, help="label column, 0/1 or t/f")
    p.add_argument("--categorical", default="", help="categorical columns, comma separated")
    p.add_argument("--numeric", default="", help="numeric columns, comma separated")
    p.add_argument("--revenue", default=None,
                   help="revenue column of the valid file (not a feature; NULL counts as 0)")
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--lambda", dest="lambda_", metavar="LAMBDA", type=float, default=1.0)
    p.add_argument("--min-child-weight", type=float, default=1.0)
    p.add_argument("--max-bin", type=int, default=255)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--smoothing", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--predict-rows", type=int, default=1000000)
    p.add_argument("--dump-scores", default=None, help="write the valid scores here, one per line")
    a = p.parse_args(argv)
    a.categorical = split_columns(a.categorical)
    a.numeric = split_columns(a.numeric)
    if not a.categorical and not a.numeric:
        p.error("no features: give --categorical and/or --numeric")
    features = a.numeric + a.categorical
    for col in features:
        if features.count(col) > 1:
            p.error("column %r is given twice" % col)
    if a.label in features or (a.revenue is not None and a.revenue in features):
        p.error("the label and revenue columns cannot be features")
    if a.trees < 1 or a.depth < 1 or a.max_bin < 2 or a.folds < 1 or a.predict_rows < 1:
        p.error("--trees, --depth, --folds and --predict-rows must be >= 1, --max-bin >= 2")
    if not 0 < a.eta <= 1 or a.lambda_ < 0 or a.min_child_weight < 0 or a.smoothing < 0:
        p.error("need 0 < --eta <= 1 and --lambda, --min-child-weight, --smoothing >= 0")
    return a


def split_columns(text):
    """The column names in a comma-separated list (empty items dropped)."""
    return [c.strip() for c in text.split(",") if c.strip()]


def read_csv(path, columns):
    """The named columns of a CSV file as lists of strings ('' = NULL), and the row count."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise InputError("%s: empty file (no header row)" % path)
            missing = [c for c in columns if c not in header]
            if missing:
                raise InputError("%s: missing column(s) %s; the header has %s"
                                 % (path, ", ".join(map(repr, missing)), ", ".join(map(repr, header))))
            index = [header.index(c) for c in columns]
            data = {c: [] for c in columns}
            for line, row in enumerate(reader, start=2):
                if len(row) != len(header):
                    raise InputError("%s, line %d: %d fields, the header has %d"
                                     % (path, line, len(row), len(header)))
                for c, j in zip(columns, index):
                    data[c].append(row[j])
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror or e))
    n = len(data[columns[0]])
    if n == 0:
        raise InputError("%s: empty file (a header but no rows)" % path)
    return data, n


def parse_labels(values, path, column):
    """The label column as a uint8 array of 0/1; anything but 0, 1, t, f is an error."""
    out = np.empty(len(values), dtype=np.uint8)
    for i, v in enumerate(values):
        try:
            out[i] = LABEL_VALUES[v.strip().lower()]
        except KeyError:
            raise InputError("%s, data row %d: label %s = %r is not 0/1 (or t/f)"
                             % (path, i + 1, column, v)) from None
    return out


def parse_numbers(values, path, column, null_value=math.nan):
    """A numeric column as a float64 array; NULL becomes null_value, infinities are errors."""
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v == "":
            out[i] = null_value
            continue
        try:
            x = float(v)
        except ValueError:
            raise InputError("%s, data row %d: %s = %r is not a number"
                             % (path, i + 1, column, v)) from None
        if math.isinf(x):
            raise InputError("%s, data row %d: %s is infinite" % (path, i + 1, column))
        out[i] = x
    return out


def row_folds(n, seed, folds):
    """The fold of each of n train rows: model_train.c's RowFold, splitmix64 of i and the seed."""
    m = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        z = np.arange(n, dtype=np.uint64) + np.uint64((seed + 1) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9) & m
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB) & m
        z ^= z >> np.uint64(31)
    return (z % np.uint64(folds)).astype(np.int64)


def encode_categorical(train_values, valid_values, y, folds, smoothing, prior, seed):
    """The (target encoding, train count) features of one categorical column, train and valid."""
    codes = {}
    train_codes = np.fromiter((codes.setdefault(v, len(codes)) for v in train_values),
                              dtype=np.int64, count=len(train_values))  # '' is the NULL category
    k = len(codes)
    n = len(train_values)
    fold = row_folds(n, seed, folds)
    cell = train_codes * folds + fold
    n_kf = np.bincount(cell, minlength=k * folds).reshape(k, folds).astype(np.float64)
    pos_kf = np.bincount(cell, weights=y.astype(np.float64), minlength=k * folds).reshape(k, folds)
    n_k = n_kf.sum(axis=1)
    pos_k = pos_kf.sum(axis=1)

    num = pos_k[train_codes] - pos_kf[train_codes, fold] + smoothing * prior
    den = n_k[train_codes] - n_kf[train_codes, fold] + smoothing
    train_te = np.where(den > 0, num / np.where(den > 0, den, 1.0), prior)
    train_count = n_k[train_codes]

    full_den = n_k + smoothing
    full_te = np.where(full_den > 0, (pos_k + smoothing * prior) / np.where(full_den > 0, full_den, 1.0), prior)
    valid_codes = np.fromiter((codes.get(v, -1) for v in valid_values),
                              dtype=np.int64, count=len(valid_values))
    seen = valid_codes >= 0
    safe = np.where(seen, valid_codes, 0)
    valid_te = np.where(seen, full_te[safe], prior)
    valid_count = np.where(seen, n_k[safe], 0.0)
    return (train_te, train_count), (valid_te, valid_count)


def build_features(args, train, valid, y_train):
    """The train and valid feature matrices (float64, NaN = missing) and the feature names."""
    prior = float(y_train.mean())
    names, train_cols, valid_cols = [], [], []
    for c in args.numeric:
        names.append(c)
        train_cols.append(parse_numbers(train[c], args.train, c))
        valid_cols.append(parse_numbers(valid[c], args.valid, c))
    for c in args.categorical:
        (tte, tcnt), (vte, vcnt) = encode_categorical(
            train[c], valid[c], y_train, args.folds, args.smoothing, prior, args.seed)
        names += [c + " (te)", c + " (count)"]
        train_cols += [tte, tcnt]
        valid_cols += [vte, vcnt]
    return np.column_stack(train_cols), np.column_stack(valid_cols), names


def top_k(rate_percent, n):
    """The number of rows inspected at an inspection rate: ceil(rate * n), at least 1."""
    kf = rate_percent / 100.0 * n
    return max(math.ceil(kf - 1e-12 * kf - 1e-9), 1)


def ranking_metrics(scores, labels, revenue):
    """Precision, recall and revenue share at each rate, and AUC, as (key, value) pairs."""
    n = len(scores)
    order = np.argsort(-scores, kind="stable")  # descending; equal scores keep file order
    hits = labels[order].astype(np.float64)
    cum_hits = np.cumsum(hits)
    total_hits = cum_hits[-1]
    out = []
    for r in RATES:
        k = top_k(r, n)
        out.append(("xgb_precision_at_%d" % r, cum_hits[k - 1] / k))
    for r in RATES:
        k = top_k(r, n)
        out.append(("xgb_recall_at_%d" % r, cum_hits[k - 1] / total_hits if total_hits > 0 else math.nan))
    if revenue is not None:
        cum_rev = np.cumsum(revenue[order])
        total_rev = cum_rev[-1]
        for r in RATES:
            k = top_k(r, n)
            out.append(("xgb_revenue_at_%d" % r, cum_rev[k - 1] / total_rev if total_rev != 0 else math.nan))
    out.append(("xgb_auc", auc(scores, labels)))
    return out


def auc(scores, labels):
    """ROC AUC by the rank formula, tied scores sharing their average rank."""
    n = len(scores)
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    ranks = np.empty(n, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # first index of each tie group
    ends = np.r_[starts[1:], n]
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks[order] = np.repeat(avg, ends - starts)
    n_pos = float(labels.sum())
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    return (ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def predict_throughput(bst, x_valid, rows):
    """Rows per second of bst.predict (fresh DMatrix) and bst.inplace_predict, best of 3."""
    reps = -(-rows // x_valid.shape[0])
    x = np.ascontiguousarray(np.tile(x_valid, (reps, 1))[:rows], dtype=np.float32)
    bst.set_param({"nthread": 1})
    best = math.inf
    for _ in range(3):
        # xgboost caches predictions per DMatrix, so a second predict on the same one would
        # time a cache hit; each repetition gets a new DMatrix, built outside the timer.
        dm = xgb.DMatrix(x, missing=np.nan, nthread=1)
        t = time.perf_counter()
        bst.predict(dm)
        best = min(best, time.perf_counter() - t)
        del dm
    best_inplace = math.inf
    for _ in range(3):
        t = time.perf_counter()
        bst.inplace_predict(x, missing=np.nan)
        best_inplace = min(best_inplace, time.perf_counter() - t)
    return rows / best, rows / best_inplace


def fmt(value):
    """A value for a `key value` line: integers as they are, floats with 6 significant digits."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    return "%.6g" % value


def run(args):
    """Read, encode, train, score and measure; returns the (key, value) lines."""
    train_cols = [args.label] + args.numeric + args.categorical
    valid_cols = train_cols + ([args.revenue] if args.revenue is not None else [])
    train, n_train = read_csv(args.train, train_cols)
    valid, n_valid = read_csv(args.valid, valid_cols)
    y_train = parse_labels(train[args.label], args.train, args.label)
    y_valid = parse_labels(valid[args.label], args.valid, args.label)
    if y_train.min() == y_train.max():
        raise InputError("%s: the label %s has only one class" % (args.train, args.label))
    revenue = None
    if args.revenue is not None:
        revenue = parse_numbers(valid[args.revenue], args.valid, args.revenue, null_value=0.0)

    t = time.perf_counter()
    x_train, x_valid, names = build_features(args, train, valid, y_train)
    encode_seconds = time.perf_counter() - t

    t = time.perf_counter()
    dtrain = xgb.DMatrix(x_train, label=y_train, missing=np.nan, nthread=1)
    dmatrix_seconds = time.perf_counter() - t
    params = {
        "tree_method": "hist",
        "objective": "binary:logistic",
        "nthread": 1,
        "max_depth": args.depth,
        "eta": args.eta,
        "lambda": args.lambda_,
        "min_child_weight": args.min_child_weight,
        "max_bin": args.max_bin,
        "seed": args.seed,
        "verbosity": 0,
    }
    t = time.perf_counter()
    bst = xgb.train(params, dtrain, num_boost_round=args.trees)
    train_seconds = time.perf_counter() - t

    bst.set_param({"nthread": 1})
    scores = bst.predict(xgb.DMatrix(x_valid, missing=np.nan, nthread=1)).astype(np.float64)
    if args.dump_scores:
        with open(args.dump_scores, "w") as f:
            f.writelines("%.9g\n" % s for s in scores)

    out = [
        ("xgb_version", xgb.__version__),
        ("train_rows", n_train),
        ("valid_rows", n_valid),
        ("features", len(names)),
        ("xgb_encode_seconds", encode_seconds),
        ("xgb_dmatrix_seconds", dmatrix_seconds),
        ("xgb_train_seconds", train_seconds),
    ]
    out += ranking_metrics(scores, y_valid, revenue)
    predict_rps, inplace_rps = predict_throughput(bst, x_valid, args.predict_rows)
    out += [
        ("predict_rows", args.predict_rows),
        ("xgb_predict_rows_per_s", predict_rps),
        ("xgb_inplace_predict_rows_per_s", inplace_rps),
    ]
    return out


def main(argv=None):
    """Entry point: print `key value` lines, or a message and exit status 1 on bad input."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        lines = run(args)
    except InputError as e:
        print("xgb_peer.py: %s" % e, file=sys.stderr)
        return 1
    for key, value in lines:
        print(key, fmt(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
