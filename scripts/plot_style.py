"""Shared helpers of scripts/plot_*.py: importing matplotlib with a clear hint when it is missing,
one plot style (the JAX scaling book's: white background, light grid, no top/right spines, plain
tick numbers), human names and units for podsim's CSV columns, row filters and saving one figure
in several formats."""
import csv
import json
import os
import sys

HINT = """{script}: matplotlib is missing from {python}.
  Debian/Ubuntu: apt-get install python3-matplotlib (scripts/install_deps.sh does it), then run
  /usr/bin/python3 {script} ...   (the system Python, which the Debian package serves);
  any other Python: python3 -m pip install matplotlib"""


def import_pyplot(script):
    """matplotlib.pyplot with the Agg backend (files only), or exit 3 with an install hint."""
    try:
        import matplotlib
    except ImportError:
        sys.stderr.write(HINT.format(script=script, python=sys.executable) + "\n")
        sys.exit(3)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    plt.rcParams.update({
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 11,
        "axes.titlesize": 13,
        "axes.titleweight": "bold",
        "axes.labelsize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "grid.linestyle": "-",
        "legend.fontsize": 9,
        "legend.frameon": False,
        "lines.linewidth": 1.8,
        "lines.markersize": 6,
        "svg.fonttype": "none",  # text stays text in SVG
    })
    return plt, ticker


# Column -> (human name, unit, factor from the CSV's SI value to the unit).
COLUMNS = {
    "prefill_s": ("prefill latency", "ms", 1e3),
    "decode_step_s": ("decode latency per generated token", "ms", 1e3),
    "decode_s": ("decode latency (all generated tokens)", "ms", 1e3),
    "total_s": ("total latency", "ms", 1e3),
    "prefill_mfu": ("prefill MFU", "%", 100.0),
    "decode_mfu": ("decode MFU", "%", 100.0),
    "mfu": ("MFU", "%", 100.0),
    "cost_chip_s_per_token": ("cost", "chip-ms per token", 1e3),
    "prefill_cost_chip_s_per_token": ("prefill cost", "chip-ms per token", 1e3),
    "decode_cost_chip_s_per_token": ("decode cost", "chip-ms per token", 1e3),
    "compute_s": ("MXU compute", "ms", 1e3),
    "weight_load_s": ("weight loading", "ms", 1e3),
    "kv_load_s": ("KV-cache loading", "ms", 1e3),
    "exposed_comm_s": ("exposed communication", "ms", 1e3),
    "hbm_bytes": ("HBM per chip", "GiB", 1 / 2**30),
    "kv_bytes": ("KV cache per chip", "GiB", 1 / 2**30),
    "chips": ("chips", "", 1.0),
    "batch": ("batch", "sequences", 1.0),
    "input_tokens": ("context length", "tokens", 1.0),
}

MODEL_NAMES = {"palm-8b": "PaLM 8B", "palm-62b": "PaLM 62B", "palm-540b": "PaLM 540B",
               "palm-540b-8layer": "multiquery", "palm-540b-8layer-multihead": "multihead"}


def column_label(column):
    name, unit, _ = COLUMNS.get(column, (column.replace("_", " "), "", 1.0))
    return f"{name} ({unit})" if unit else name


def column_factor(column):
    return COLUMNS.get(column, ("", "", 1.0))[2]


def model_name(model):
    base = os.path.basename(str(model)).removesuffix(".yaml")
    return MODEL_NAMES.get(base, base)


def read_rows(paths):
    """Rows of podsim sweep/compare CSVs or `podsim run --json` files, as dicts of strings."""
    rows = []
    for path in paths:
        if path.endswith(".json"):
            with open(path) as f:
                doc = json.load(f)
            s = doc.get("scenario", {})
            row = {k: v for k, v in doc.items() if not isinstance(v, (dict, list))}
            row.update(doc.get("breakdown", {}))
            for key in ("model", "chips", "batch", "ffn_layout", "attention", "weights",
                        "input_tokens", "phase"):
                value = s.get(key)
                if isinstance(value, dict):
                    value = value.get("name")
                if value is not None:
                    row.setdefault(key, value)
            row.setdefault("status", "ok")
            rows.append({k: str(v) for k, v in row.items()})
        else:
            with open(path, newline="") as f:
                rows.extend(csv.DictReader(f))
    return rows


def parse_filters(items):
    """--where key=v1,v2 (repeatable) -> {key: {v1, v2}}."""
    out = {}
    for item in items or []:
        if "=" not in item:
            sys.exit(f"--where {item}: expected KEY=VALUE[,VALUE...], e.g. --where weights=bf16")
        key, values = item.split("=", 1)
        out[key] = set(values.split(","))
    return out


def keep(row, filters):
    return all(str(row.get(k, "")) in vs for k, vs in filters.items())


def number(row, column):
    try:
        v = float(row[column])
    except (KeyError, TypeError, ValueError):
        return None
    return v if v == v else None  # NaN


def plain_log_ticks(ax, ticker, axis="both"):
    """Log axes with plain numbers (16, 32, 0.5) instead of 2^4 or 4x10^0; an axis spanning less
    than three decades gets ticks at 1, 2 and 5 of each decade so that it never shows one tick."""
    fmt = ticker.FuncFormatter(lambda v, _: f"{v:g}")
    for name in ("x", "y") if axis == "both" else (axis,):
        a = ax.xaxis if name == "x" else ax.yaxis
        if (ax.get_xscale() if name == "x" else ax.get_yscale()) != "log":
            continue
        lo, hi = ax.get_xlim() if name == "x" else ax.get_ylim()
        if not a.get_major_locator().__class__.__name__ == "FixedLocator":
            subs = (1.0, 2.0, 5.0) if hi / max(lo, 1e-300) < 1e3 else (1.0,)
            a.set_major_locator(ticker.LogLocator(base=10, subs=subs))
        a.set_major_formatter(fmt)
        a.set_minor_formatter(ticker.NullFormatter())


# FFN layouts as the paper names them (arXiv 2211.05102, section 3.2), with podsim's key.
LAYOUT_NAMES = {"ws-1d": "1D weight-stationary (ws-1d)", "ws-2d": "2D weight-stationary (ws-2d)",
                "wg-x": "weight-gathered over X (wg-x)", "wg-xy": "weight-gathered over XY (wg-xy)",
                "wg-xyz": "weight-gathered over XYZ (wg-xyz)"}


def layout_name(layout):
    return LAYOUT_NAMES.get(str(layout), str(layout))


def wrap_title(text, width=80):
    import textwrap
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def set_title(fig, text, width=80):
    """The figure's title, wrapped at `width`. A trailing "[note]" (figures.sh's mode) is returned
    instead of wrapped into the title mid-phrase: finish() prints it as a footnote."""
    note = ""
    if text.endswith("]") and " [" in text:
        text, note = text[:text.rindex(" [")], text[text.rindex(" [") + 2:-1]
    fig.suptitle(wrap_title(text, width), fontweight="bold")
    return note


def legend_below(fig, axes, ncol=3):
    """One legend for the figure (the entries of every axis in `axes`), under the axes, so that
    it covers no point or label (call finish(fig, note, legend=True) after)."""
    seen = {}
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        for h, l in zip(handles, labels):
            seen.setdefault(l, h)
    if seen:
        fig.legend(list(seen.values()), list(seen.keys()), loc="lower center", ncol=ncol,
                   bbox_to_anchor=(0.5, 0.035), frameon=False)


def finish(fig, note="", legend=False):
    """Lays the figure out, leaving room at the bottom for legend_below's legend and the note,
    which goes in the bottom right corner in small grey type."""
    bottom = 0.12 if legend else (0.04 if note else 0.0)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    if note:
        fig.text(0.995, 0.005, note, ha="right", va="bottom", fontsize=8.5, color="#666")


def save(fig, outputs):
    """Saves `fig` to every path of `outputs` (PNG, SVG or PDF by suffix)."""
    for path in outputs:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path, bbox_inches="tight")
        print(f"wrote {path}")
