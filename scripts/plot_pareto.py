#!/usr/bin/python3
"""Latency-vs-cost Pareto plot (paper Figure 1 style) from podsim's sweep CSV.

Reads the CSV of `podsim sweep` (optionally marked by `podsim pareto`) and draws, per phase,
every simulated point (latency on x, cost on y, both log scale, one marker colour per FFN
layout) and the Pareto frontier (points no other point beats on both axes) as a step line.
Prefill: prefill_s against prefill_cost_chip_s_per_token; decode: decode_step_s (latency per
generated token) against decode_cost_chip_s_per_token. Prints the frontier points.

Usage: scripts/plot_pareto.py results.csv -o pareto.png [--phase decode|prefill|both]
Needs matplotlib (Debian python3-matplotlib, installed by scripts/install_deps.sh).
"""
import argparse
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

PHASES = {
    "prefill": ("prefill_s", "prefill_cost_chip_s_per_token"),
    "decode": ("decode_step_s", "decode_cost_chip_s_per_token"),
}


def read_points(path, phase):
    latency_col, cost_col = PHASES[phase]
    points = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("status", "ok") != "ok":
                continue
            try:
                latency, cost = float(row[latency_col]), float(row[cost_col])
            except (KeyError, ValueError):
                continue
            if latency > 0 and cost > 0:
                label = row.get("ffn_layout", "?")
                if row.get("attention"):
                    label += " / attn " + row["attention"]
                points.append((latency, cost, label, row.get("point", "")))
    return points


def frontier(points):
    """Points that no other point beats on both latency and cost (ties all kept)."""
    keep = []
    for p in points:
        beaten = any(q[0] <= p[0] and q[1] <= p[1] and (q[0] < p[0] or q[1] < p[1]) for q in points)
        if not beaten:
            keep.append(p)
    return sorted(keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("-o", "--output", required=True, help="PNG file to write")
    ap.add_argument("--phase", choices=["prefill", "decode", "both"], default="both")
    ap.add_argument("--title", default="")
    args = ap.parse_args()

    phases = ["prefill", "decode"] if args.phase == "both" else [args.phase]
    data = {ph: read_points(args.csv, ph) for ph in phases}
    phases = [ph for ph in phases if data[ph]]
    if not phases:
        sys.exit(f"{args.csv}: no simulated points with the latency and cost columns of "
                 f"{args.phase} (status ok, prefill_s/decode_step_s and *_cost_chip_s_per_token)")
    fig, axes = plt.subplots(1, len(phases), figsize=(6.5 * len(phases), 5), squeeze=False)
    for ax, ph in zip(axes[0], phases):
        pts = data[ph]
        labels = sorted({p[2] for p in pts})
        for i, label in enumerate(labels):
            xs = [p[0] * 1e3 for p in pts if p[2] == label]
            ys = [p[1] * 1e3 for p in pts if p[2] == label]
            ax.scatter(xs, ys, s=18, alpha=0.75, label=label, color=f"C{i % 10}")
        front = frontier(pts)
        ax.step([p[0] * 1e3 for p in front], [p[1] * 1e3 for p in front], where="post",
                color="black", linewidth=1.2, label="Pareto frontier")
        ax.set_xscale("log")
        ax.set_yscale("log")
        what = "prefill latency" if ph == "prefill" else "decode latency per generated token"
        ax.set_xlabel(f"{what} (ms)")
        ax.set_ylabel("cost (chip-milliseconds per token)")
        ax.set_title(f"{ph}: latency vs cost")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        for p in front:
            print(f"{ph} frontier: latency {p[0]:.6g} s, cost {p[1]:.6g} chip-s/token  {p[3]}")
    if args.title:
        fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
