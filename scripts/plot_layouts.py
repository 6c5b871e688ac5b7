#!/usr/bin/python3
"""Layout comparison: a metric against chips, batch or context, one line per layout, from podsim.

Reads the CSV of `podsim sweep` / `podsim compare`, or `podsim run --json` files, and draws the
metric (default decode_step_s, the time per decode step) against --x, one line per group (by
default the FFN layout, and the attention sharding when it varies). Points that differ in any
other scenario column that varies (batch, weights, model, ...) are never joined: they become
separate lines, or separate panels with --panels COLUMN. --where keeps only some rows. Times are
plotted in milliseconds, MFU in percent, costs in chip-milliseconds per token. Prints the
plotted series.

Usage: scripts/plot_layouts.py results.csv [more.csv | run.json ...] -o layouts.png [-o layouts.svg]
           [--x chips|batch|input_tokens] [--y decode_step_s|prefill_s|prefill_mfu|...]
           [--group-by ffn_layout,attention] [--panels weights] [--where batch=512]
           [--title TEXT] [--log-y | --linear-y]
Needs matplotlib (Debian python3-matplotlib, installed by scripts/install_deps.sh).
"""
import argparse
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_style  # noqa: E402

SCENARIO = ["model", "phase", "chips", "batch", "input_tokens", "generate_tokens", "weights",
            "ffn_layout", "attention", "collective_einsum"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: scripts/plot_layouts.py fig6.csv --x chips "
                                        "--y decode_step_s -o fig6.png -o fig6.svg")
    ap.add_argument("inputs", nargs="+", metavar="FILE")
    ap.add_argument("-o", "--output", action="append", required=True, metavar="FILE",
                    help="figure to write (.png, .svg or .pdf; repeat for several)")
    ap.add_argument("--x", choices=["chips", "batch", "input_tokens"], default="chips")
    ap.add_argument("--y", default="decode_step_s", help="metric column (default decode_step_s)")
    ap.add_argument("--group-by", default="", metavar="COLS",
                    help="columns that make one line each (default: ffn_layout, plus attention "
                         "when it varies)")
    ap.add_argument("--panels", default="", metavar="COL", help="one panel per value of COL")
    ap.add_argument("--join", default="", metavar="COLS",
                    help="varying columns that may be joined on one line (e.g. attention, when "
                         "it is chosen by batch); every other varying column splits lines")
    ap.add_argument("--label-points", action="store_true", help="write each point's value")
    ap.add_argument("--where", action="append", metavar="KEY=V[,V]",
                    help="keep rows whose KEY is one of the values (repeatable)")
    ap.add_argument("--title", default="")
    scale = ap.add_mutually_exclusive_group()
    scale.add_argument("--log-y", action="store_true", help="log y axis (default for times)")
    scale.add_argument("--linear-y", action="store_true", help="linear y axis")
    args = ap.parse_args()
    plt, ticker = plot_style.import_pyplot("scripts/plot_layouts.py")

    filters = plot_style.parse_filters(args.where)
    rows = [r for r in plot_style.read_rows(args.inputs)
            if r.get("status", "ok") == "ok" and plot_style.keep(r, filters)]
    rows = [r for r in rows if plot_style.number(r, args.x) is not None
            and plot_style.number(r, args.y) is not None]
    if not rows:
        sys.exit(f"no simulated rows with columns {args.x} and {args.y} in {', '.join(args.inputs)}"
                 + (f" matching --where {' '.join(args.where)}" if args.where else ""))

    varying = [c for c in SCENARIO if c != args.x and len({r.get(c, "") for r in rows}) > 1]
    if args.group_by:
        group = args.group_by.split(",")
    else:
        group = ["ffn_layout"] + (["attention"] if "attention" in varying else [])
    panel_col = args.panels
    # Every other varying column splits lines too: never a zig-zag across batch sizes.
    joined = args.join.split(",") if args.join else []
    split = [c for c in varying if c not in group and c != panel_col and c not in joined]

    def describe(r, cols):
        parts = []
        for c in cols:
            v = r.get(c, "")
            if c == "model":
                v = plot_style.model_name(v)
            elif c == "ffn_layout":
                v = plot_style.layout_name(v)
            elif c == "attention":
                v = f"attention sharded over {v}"
            elif c in ("batch", "chips", "input_tokens"):
                v = f"{c.replace('_', ' ')} {v}"
            parts.append(str(v))
        return ", ".join(parts)

    def label_of(r):
        return describe(r, group + split)

    panels = sorted({r.get(panel_col, "") for r in rows}) if panel_col else [""]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.8 * len(panels), 4.8), squeeze=False)
    factor = plot_style.column_factor(args.y)
    ys = [plot_style.number(r, args.y) for r in rows]
    wide = min(ys) > 0 and max(ys) / min(ys) >= 10
    log_y = args.log_y or (not args.linear_y and wide and (args.y.endswith("_s") or "cost" in args.y))
    # One colour per group (the layout), one line style per split value (batch, attention...).
    groups = sorted({describe(r, group) for r in rows})
    splits = sorted({describe(r, split) for r in rows})
    colour = {g: f"C{i % 10}" for i, g in enumerate(groups)}
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v"]
    # Line style and marker by split value; with a single split value, by group instead, so that
    # groups whose lines coincide (multihead and multiquery over heads in Figure 8) stay visible.
    by = splits if len(splits) > 1 else groups
    style = {v: styles[i % len(styles)] for i, v in enumerate(by)}
    marker = {v: markers[i % len(markers)] for i, v in enumerate(by)}
    width = {v: 2.6 - 0.6 * (i % 3) for i, v in enumerate(by)}
    key_of = {}
    for r in rows:
        key_of[label_of(r)] = (describe(r, group), describe(r, split))
    for ax, panel in zip(axes[0], panels):
        series = defaultdict(list)
        for r in rows:
            if panel_col and r.get(panel_col, "") != panel:
                continue
            series[label_of(r)].append((plot_style.number(r, args.x), plot_style.number(r, args.y)))
        for label, pts in sorted(series.items()):
            pts = sorted(pts)
            g, v = key_of[label]
            k = v if len(splits) > 1 else g
            ax.plot([p[0] for p in pts], [p[1] * factor for p in pts], marker=marker[k],
                    linestyle=style[k], linewidth=width[k], label=label, color=colour[g],
                    markerfacecolor="white" if style[k] != "-" else colour[g])
            if args.label_points:
                for x, y in pts:
                    ax.annotate(f"{y * factor:.1f}" if y * factor < 1000 else f"{y * factor:.0f}",
                                (x, y * factor), textcoords="offset points",
                                xytext=(4, 5), fontsize=8, color=colour[g])
            print(f"{panel + ': ' if panel else ''}{label}: " +
                  ", ".join(f"{args.x}={p[0]:g} {args.y}={p[1]:.6g}" for p in pts))
        xs = sorted({p[0] for pts in series.values() for p in pts})
        if len(xs) > 1 and xs[0] > 0 and xs[-1] / xs[0] >= 4:
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs)
        if log_y:
            ax.set_yscale("log")
        plot_style.plain_log_ticks(ax, ticker)
        ax.set_xlabel(plot_style.column_label(args.x))
        ax.set_ylabel(plot_style.column_label(args.y))
        if panel_col:
            ax.set_title(f"{panel_col} {panel}", fontsize=11)
        ax.legend(loc="best")
    models = sorted({plot_style.model_name(r.get("model", "")) for r in rows})
    name = plot_style.COLUMNS.get(args.y, (args.y,))[0]
    default_title = f"{', '.join(models)}: {name} vs {plot_style.column_label(args.x).split(' (')[0]}"
    note = plot_style.set_title(fig, args.title or default_title)
    plot_style.finish(fig, note)
    plot_style.save(fig, args.output)


if __name__ == "__main__":
    main()
