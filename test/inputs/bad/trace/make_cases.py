#!/usr/bin/env python3
"""Writes the bad trace files of this directory from ../../good/toy-prefill.trace.json (a valid
trace written by `podsim trace test/inputs/good/toy-prefill.yaml`), one fault per file.
Re-run after a change of the trace format; the .expect files are written by hand."""
import copy
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
good = json.load(open(os.path.join(here, "../../good/toy-prefill.trace.json")))


def write(name, text):
    with open(os.path.join(here, name), "w") as f:
        f.write(text)


def case(name, edit):
    t = copy.deepcopy(good)
    edit(t)
    write(name, json.dumps(t, indent=1) + "\n")


layer = lambda t: t["steps"][0]["layers"][1]  # the repeated transformer layer
op = lambda t, i: layer(t)["ops"][i]          # 1: all-gather yz, 2: einsum q_ffn_in


def setitem(obj, key, value):
    obj[key] = value


text = json.dumps(good, indent=1)
write("syntax-truncated.json", text[: len(text) // 2])
write("syntax-trailing-comma.json", text.replace('"version": 1,', '"version": 1,,'))
write("empty.json", "")
write("top-level-array.json", "[1, 2, 3]\n")
write("nan-literal.json", text.replace('"flops": 0.0', '"flops": NaN', 1))
write("number-overflow.json", text.replace('"flops": 0.0', '"flops": 1e999', 1))
write("deep-nesting.json", "[" * 100000 + "]" * 100000 + "\n")
case("format-wrong.json", lambda t: setitem(t, "format", "chrome-trace"))
case("version-2.json", lambda t: setitem(t, "version", 2))
case("misspelt-op-field.json", lambda t: op(t, 2).update({"flopz": op(t, 2).pop("flops")}))
case("missing-memory.json", lambda t: t.pop("memory"))
case("flops-negative.json", lambda t: setitem(op(t, 2), "flops", -1.0))
case("weight-bytes-string.json", lambda t: setitem(op(t, 2), "weight_bytes", "8KiB"))
case("weight-bytes-fraction.json", lambda t: setitem(op(t, 2), "weight_bytes", 8192.5))
case("collective-bytes-huge.json",
     lambda t: setitem(op(t, 1)["collective"], "bytes", 18446744073709551615))
case("dims-product-overflow.json",
     lambda t: setitem(t["scenario"]["topology"], "dims", [100000, 100000, 100000]))
case("dims-zero.json", lambda t: setitem(t["scenario"]["topology"], "dims", [0, 2, 2]))
case("wraps-not-bool.json", lambda t: setitem(t["scenario"]["topology"], "wraps", [1, 0, 0]))
case("collective-axes-unknown.json", lambda t: setitem(op(t, 1)["collective"], "axes", "yw"))
case("op-kind-misspelt.json", lambda t: setitem(op(t, 2), "kind", "einsumm"))
case("looped-with-missing.json", lambda t: setitem(op(t, 1), "looped_with", "q_ffn"))
case("steps-empty.json", lambda t: setitem(t, "steps", []))
case("repeat-zero.json", lambda t: setitem(layer(t), "repeat", 0))
case("repeat-huge.json", lambda t: setitem(layer(t), "repeat", 1 << 40))
case("step-phase-unknown.json", lambda t: setitem(t["steps"][0], "phase", "generate"))
case("hbm-bytes-zero.json", lambda t: setitem(t["memory"], "hbm_bytes", 0))
case("peak-flops-zero.json",
     lambda t: setitem(t["scenario"]["platform"]["chip"], "peak_flops_per_s", 0))
case("model-dims-huge.json", lambda t: t["scenario"]["model"].update(
    {"d_model": 1 << 40, "d_ff": 1 << 40, "vocab": 1 << 40}))
case("batch-indivisible.json", lambda t: t["scenario"].update({"attention": "batch", "batch": 12}))
# Finite but absurd chip values (issue 14): each made SimGrid deadlock, abort or print inf.
chip = lambda t: t["scenario"]["platform"]["chip"]
case("peak-flops-in-tflops.json", lambda t: setitem(chip(t), "peak_flops_per_s", 275.0))
case("op-overhead-huge.json", lambda t: setitem(chip(t), "op_overhead_s", 1e308))
case("link-bandwidth-tiny.json", lambda t: setitem(chip(t), "ici_link_bytes_per_s", 1e-300))
case("hop-latency-huge.json", lambda t: setitem(chip(t), "ici_hop_latency_s", 1e308))
# A key given twice: nlohmann::json kept the last one silently, where YAML refuses it (issue 14).
write("duplicate-key.json", text.replace('"version": 1,', '"version": 1,\n "version": 2,', 1))
write("duplicate-key-nested.json", text.replace('"flops": 0.0', '"flops": 0.0,\n "flops": 1.0', 1))
# Mixed runs (phase mixed): a mixed step without its chunk, and a prompt in a scenario that is
# not mixed.
case("step-mixed-chunk-missing.json", lambda t: setitem(t["steps"][0], "phase", "mixed"))
case("scenario-prompt-not-mixed.json", lambda t: setitem(t["scenario"], "prompt_tokens", 64))
