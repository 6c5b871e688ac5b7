#!/usr/bin/python3
"""Layout comparison: a metric against chips or batch, one line per layout, from podsim output.

Reads the CSV of `podsim sweep` / `podsim compare`, or `podsim run --json` files, and draws the
metric (default decode_step_s, the time per decode step) against --x (chips or batch), one line
per FFN layout (and attention sharding when it varies). Times are plotted in milliseconds, MFU
in percent, costs in chip-milliseconds per token. Prints the plotted series.

Usage: scripts/plot_layouts.py results.csv [more.csv | run.json ...] -o layouts.png
           [--x chips|batch] [--y decode_step_s|prefill_s|total_s|mfu|...]
Needs matplotlib (Debian python3-matplotlib, installed by scripts/install_deps.sh).
"""
import argparse
import csv
import json
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows_of(path):
    if path.endswith(".json"):
        with open(path) as f:
            doc = json.load(f)
        s = doc.get("scenario", {})
        row = {k: doc[k] for k in doc if not isinstance(doc[k], (dict, list))}
        row.update(doc.get("breakdown", {}))
        shape = s.get("shape") or s.get("topology") or ""
        chips = 1
        if isinstance(shape, str) and "x" in shape:
            for d in shape.split("x"):
                chips *= int(d)
        elif isinstance(shape, list):
            for d in shape:
                chips *= int(d)
        row.update({"status": "ok", "chips": s.get("chips", chips), "batch": s.get("batch"),
                    "ffn_layout": s.get("ffn_layout", "?"), "attention": s.get("attention", "")})
        return [row]
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def scale(column):
    if column.endswith("mfu"):
        return 100.0, "%"
    if "cost" in column:
        return 1e3, "chip-ms per token"
    if column.endswith("_s"):
        return 1e3, "ms"
    if column.endswith("_bytes"):
        return 1 / 2**30, "GiB"
    return 1.0, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("-o", "--output", required=True, help="PNG file to write")
    ap.add_argument("--x", choices=["chips", "batch"], default="chips")
    ap.add_argument("--y", default="decode_step_s")
    ap.add_argument("--title", default="")
    args = ap.parse_args()

    rows = [r for path in args.inputs for r in rows_of(path)]
    rows = [r for r in rows if r.get("status", "ok") == "ok"]
    attentions = {str(r.get("attention", "")) for r in rows}
    series = defaultdict(list)
    for r in rows:
        try:
            x, y = float(r[args.x]), float(r[args.y])
        except (KeyError, TypeError, ValueError):
            continue
        label = str(r.get("ffn_layout", "?"))
        if len(attentions) > 1:
            label += f" / attn {r.get('attention', '')}"
        series[label].append((x, y))
    if not series:
        sys.exit(f"no simulated rows with columns {args.x} and {args.y} in {', '.join(args.inputs)}")
    factor, unit = scale(args.y)
    fig, ax = plt.subplots(figsize=(7, 5))
    for i, (label, pts) in enumerate(sorted(series.items())):
        pts = sorted(pts)
        ax.plot([p[0] for p in pts], [p[1] * factor for p in pts], marker="o", label=label,
                color=f"C{i % 10}")
        print(f"{label}: " + ", ".join(f"{args.x}={p[0]:g} {args.y}={p[1]:.6g}" for p in pts))
    ax.set_xscale("log", base=2)
    ax.set_xlabel("chips" if args.x == "chips" else "batch (sequences)")
    ax.set_ylabel(f"{args.y} ({unit})" if unit else args.y)
    if args.y.endswith("_s") or "cost" in args.y:
        ax.set_yscale("log")
    ax.set_title(args.title or f"{args.y} vs {args.x}, one line per layout")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
