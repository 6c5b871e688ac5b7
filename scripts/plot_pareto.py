#!/usr/bin/python3
"""Latency-vs-cost Pareto plot (the paper's Figure 1) from podsim's sweep CSVs.

Reads one or more CSVs of `podsim sweep` and draws, per phase, the points (latency on x, cost
per token on y, both log scale) and the Pareto frontier of each group (points no other point of
the group beats on both axes) when grouping by model, one colour per group (default: the model
when several are given, else the FFN layout, with one frontier over every point). Frontier points are labelled "C chips, B batch" as in the paper. Prefill:
prefill_s against prefill_cost_chip_s_per_token; decode: decode_step_s (latency per generated
token) against decode_cost_chip_s_per_token. Prints the frontier points.

Usage: scripts/plot_pareto.py results.csv [more.csv ...] -o pareto.png [-o pareto.svg]
           [--phase decode|prefill|both] [--group-by model|ffn_layout|weights|...]
           [--frontier-only] [--where weights=bf16] [--no-labels] [--title TEXT]
Needs matplotlib (Debian python3-matplotlib, installed by scripts/install_deps.sh).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_style  # noqa: E402

PHASES = {
    "prefill": ("prefill_s", "prefill_cost_chip_s_per_token"),
    "decode": ("decode_step_s", "decode_cost_chip_s_per_token"),
}
TITLES = {
    "prefill": "prefill: time to process the prompt",
    "decode": "decode: latency per generated token",
}


def read_points(rows, phase, group_by):
    latency_col, cost_col = PHASES[phase]
    points = []
    for row in rows:
        if row.get("status", "ok") != "ok":
            continue
        latency, cost = plot_style.number(row, latency_col), plot_style.number(row, cost_col)
        if latency and cost and latency > 0 and cost > 0:
            group = row.get(group_by, "?")
            if group_by == "model":
                group = plot_style.model_name(group)
            points.append({"latency": latency, "cost": cost, "group": str(group), "row": row})
    return points


def frontier(points):
    """Points that no other point beats on both latency and cost (ties all kept)."""
    keep = []
    for p in points:
        beaten = any(q["latency"] <= p["latency"] and q["cost"] <= p["cost"] and
                     (q["latency"] < p["latency"] or q["cost"] < p["cost"]) for q in points)
        if not beaten:
            keep.append(p)
    return sorted(keep, key=lambda p: p["latency"])


def point_label(p):
    r = p["row"]
    text = f"C{r.get('chips', '?')} B{r.get('batch', '?')}"
    if r.get("weights") == "int8":
        text += " int8"
    return text


def place_labels(ax, labels):
    """Labels each point beside it where the label overlaps no label placed before (tried
    above-right, below-right, above-left, below-left; in display pixels, about 7 px per character
    at 7.5 pt); points that coincide are labelled once."""
    boxes, done = [], []
    for x, y, text, colour in labels:
        px, py = ax.transData.transform((x, y))
        if any(abs(px - qx) < 3 and abs(py - qy) < 3 for qx, qy in done):
            continue
        done.append((px, py))
        w, h = 6.2 * len(text) * ax.figure.dpi / 100, 11 * ax.figure.dpi / 100
        choice = None
        for dx, dy in ((4, 5), (4, -13), (-4 - w * 72 / ax.figure.dpi, 5),
                       (-4 - w * 72 / ax.figure.dpi, -13)):
            # Offsets are in points; boxes in pixels.
            x0 = px + dx * ax.figure.dpi / 72
            y0 = py + dy * ax.figure.dpi / 72
            box = (x0, y0, x0 + w, y0 + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                       for b in boxes):
                choice = (dx, dy, box)
                break
        if choice is None:
            x0, y0 = px + 4 * ax.figure.dpi / 72, py + 5 * ax.figure.dpi / 72
            choice = (4, 5, (x0, y0, x0 + w, y0 + h))
        boxes.append(choice[2])
        ax.annotate(text, (x, y), textcoords="offset points", xytext=choice[:2], fontsize=7.5,
                    color=colour)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: scripts/plot_pareto.py palm-8b.csv palm-62b.csv "
                                        "palm-540b.csv --group-by model --frontier-only "
                                        "-o fig1.png -o fig1.svg")
    ap.add_argument("csv", nargs="+", metavar="FILE")
    ap.add_argument("-o", "--output", action="append", required=True, metavar="FILE",
                    help="figure to write (.png, .svg or .pdf; repeat for several)")
    ap.add_argument("--phase", choices=["prefill", "decode", "both"], default="both")
    ap.add_argument("--group-by", default="", metavar="COL",
                    help="one colour and one frontier per value (default: model when the inputs "
                         "hold several models, else ffn_layout)")
    ap.add_argument("--frontier-only", action="store_true",
                    help="draw only each group's frontier (Figure 1), not every point")
    ap.add_argument("--where", action="append", metavar="KEY=V[,V]",
                    help="keep rows whose KEY is one of the values (repeatable)")
    ap.add_argument("--frontier-per-group", action="store_true",
                    help="one frontier per group (the default when grouping by model; else one "
                         "frontier over every point)")
    ap.add_argument("--no-labels", action="store_true", help="do not label frontier points")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    plt, ticker = plot_style.import_pyplot("scripts/plot_pareto.py")

    filters = plot_style.parse_filters(args.where)
    rows = [r for r in plot_style.read_rows(args.csv) if plot_style.keep(r, filters)]
    models = sorted({r.get("model", "") for r in rows if r.get("status", "ok") == "ok"})
    group_by = args.group_by or ("model" if len(models) > 1 else "ffn_layout")
    phases = ["decode", "prefill"] if args.phase == "both" else [args.phase]
    data = {ph: read_points(rows, ph, group_by) for ph in phases}
    phases = [ph for ph in phases if data[ph]]
    if not phases:
        sys.exit(f"{', '.join(args.csv)}: no simulated points with the latency and cost columns "
                 f"of {args.phase} (status ok, prefill_s/decode_step_s and "
                 f"*_cost_chip_s_per_token)")
    fig, axes = plt.subplots(1, len(phases), figsize=(7.2 * len(phases), 5.4), squeeze=False)
    groups = sorted({p["group"] for ph in phases for p in data[ph]})
    colour = {g: f"C{i % 10}" for i, g in enumerate(groups)}
    for ax, ph in zip(axes[0], phases):
        pts = data[ph]
        # Latency in ms, or in s when the panel reaches past 10 s.
        in_s = max(p["latency"] for p in pts) > 10
        lat = 1.0 if in_s else 1e3
        per_group = group_by == "model" or args.frontier_per_group
        fronts = []
        labels = []  # (x, y, text, colour), placed once the axes' scales are set
        for g in groups:
            mine = [p for p in pts if p["group"] == g]
            if not mine:
                continue
            if not args.frontier_only or not per_group:
                ax.scatter([p["latency"] * lat for p in mine], [p["cost"] * 1e3 for p in mine],
                           s=18, alpha=0.45 if per_group else 0.8, color=colour[g], linewidths=0,
                           label=None if per_group else g)
            if per_group:
                fronts.append((g, frontier(mine), colour[g], f"{g} (frontier)"))
        if not per_group:
            fronts.append(("", frontier(pts), "black", "Pareto frontier"))
        for g, front, c, name in fronts:
            ax.plot([p["latency"] * lat for p in front], [p["cost"] * 1e3 for p in front],
                    marker="o", color=c, label=name, linewidth=1.4)
            if not args.no_labels:
                labels.extend((p["latency"] * lat, p["cost"] * 1e3, point_label(p), c)
                              for p in front)
            for p in front:
                r = p["row"]
                print(f"{ph} frontier{' ' + g if g else ''}: latency {p['latency']:.6g} s, "
                      f"cost {p['cost']:.6g} chip-s/token  chips {r.get('chips')} batch "
                      f"{r.get('batch')} {r.get('weights', '')} {r.get('ffn_layout', '')}  "
                      f"{r.get('point', '')}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.autoscale_view()
        place_labels(ax, labels)
        plot_style.plain_log_ticks(ax, ticker)
        label = plot_style.column_label(PHASES[ph][0])
        ax.set_xlabel(label.replace("(ms)", "(s)") if in_s else label)
        ax.set_ylabel("cost (chip-milliseconds per token)")
        ax.set_title(TITLES[ph], fontsize=11)
    # One legend under the panels: inside, it covered the frontier's first points and labels.
    plot_style.legend_below(fig, list(axes[0]), ncol=min(4, max(1, len(groups) * (1 if per_group else 2))))
    names = ", ".join(plot_style.model_name(m) for m in models)
    note = plot_style.set_title(fig, args.title or f"{names}: latency vs cost per token "
                                                   f"(C = chips, B = batch)", 110)
    plot_style.finish(fig, note, legend=True)
    plot_style.save(fig, args.output)


if __name__ == "__main__":
    main()
