#!/usr/bin/env python3
"""Checks a run folder's TensorBoard event files with TensorBoard's own reader.

    python3 scripts/check-tensorboard.py OUT

Reads OUT/tensorboard with tensorboard's EventAccumulator (keeping every event) and compares:
  - every scalar of OUT/metrics.jsonl with the scalar tag of its name (loss_d -> loss/d, see
    docs/observability.md): the same steps in the same order, values equal as float32 (a null in
    the JSON, a non-finite value, must be NaN or infinite in TensorBoard), no tag left over;
  - every image of samples/fixed_z with the PNG of its step under OUT/samples (byte for byte, and
    its width and height with the PNG header);
  - the config text: a markdown JSON block that parses;
  - every tag of every kind: each step at most once (no duplicate left by a resume).
Prints a summary (the steps of each kind) and exits 0, or prints FAIL lines and exits 1; exits 2
when the tensorboard package is missing (pip install tensorboard, or scripts/setup).
"""
import glob
import json
import math
import os
import struct
import sys

try:
    from tensorboard.backend.event_processing import event_accumulator as ea
except ImportError as e:  # pragma: no cover - depends on the machine
    print("check-tensorboard: the tensorboard package is missing (%s); install it with "
          "'pip install tensorboard' or scripts/setup" % e)
    sys.exit(2)

GROUPS = ("loss", "d", "time", "bytes")


def tag_for(name):
    """The tag TensorBoardObserver.tag(forMetric:) gives a metrics.jsonl name."""
    for g in GROUPS:
        if name.startswith(g + "_") and len(name) > len(g) + 1:
            return g + "/" + name[len(g) + 1:]
    return name


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def png_size(data):
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def main():
    if len(sys.argv) != 2:
        print("usage: check-tensorboard.py OUT (a run folder with metrics.jsonl and tensorboard/)")
        return 1
    out = sys.argv[1]
    logdir = os.path.join(out, "tensorboard")
    failures = []
    if not glob.glob(os.path.join(logdir, "events.out.tfevents.*")):
        print("FAIL: no events.out.tfevents.* file in %s" % logdir)
        return 1

    acc = ea.EventAccumulator(logdir, size_guidance={
        ea.COMPRESSED_HISTOGRAMS: 0, ea.IMAGES: 0, ea.AUDIO: 0, ea.SCALARS: 0,
        ea.HISTOGRAMS: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    if acc.file_version != 2.0:
        failures.append("file_version is %r, expected brain.Event:2" % acc.file_version)

    # Every kind: each step once per tag.
    series = {}
    for t in tags["scalars"]:
        series[("scalar", t)] = [e.step for e in acc.Scalars(t)]
    for t in tags["images"]:
        series[("image", t)] = [e.step for e in acc.Images(t)]
    for t in tags["tensors"]:
        series[("tensor", t)] = [e.step for e in acc.Tensors(t)]
    for (kind, t), steps in sorted(series.items()):
        if len(steps) != len(set(steps)):
            dup = sorted({s for s in steps if steps.count(s) > 1})
            failures.append("%s %s has steps more than once: %s" % (kind, t, dup))
        if steps != sorted(steps):
            failures.append("%s %s steps are out of order: %s" % (kind, t, steps))

    # Scalars against metrics.jsonl.
    records = []
    with open(os.path.join(out, "metrics.jsonl")) as f:
        for line in f:
            if line.strip():
                records.append(json.loads(line))
    names = sorted({k for r in records for k in r if k != "step"})
    expected_tags = set()
    for name in names:
        tag = tag_for(name)
        expected_tags.add(tag)
        want = [(r["step"], r.get(name)) for r in records if name in r]
        if tag not in tags["scalars"]:
            failures.append("metrics.jsonl's %s has no scalar tag %s" % (name, tag))
            continue
        got = [(e.step, e.value) for e in acc.Scalars(tag)]
        if [s for s, _ in got] != [s for s, _ in want]:
            failures.append("%s: steps %s in TensorBoard, %s in metrics.jsonl"
                            % (tag, [s for s, _ in got], [s for s, _ in want]))
            continue
        for (step, g), (_, w) in zip(got, want):
            same = (not math.isfinite(g)) if w is None else (f32(float(w)) == g or (math.isnan(g) and math.isnan(w)))
            if not same:
                failures.append("%s at step %d: %r in TensorBoard, %r in metrics.jsonl" % (tag, step, g, w))
    extra = set(tags["scalars"]) - expected_tags - {"checkpoint/bytes", "checkpoint/seconds"}
    if extra:
        failures.append("scalar tags not in metrics.jsonl: %s" % sorted(extra))
    if not names:
        failures.append("metrics.jsonl has no records")

    # Images against the PNG files.
    image_steps = []
    samples = os.path.join(out, "samples")
    for t in tags["images"]:
        for e in acc.Images(t):
            image_steps.append(e.step)
            data = e.encoded_image_string
            size = png_size(data)
            if size is None or size != (e.width, e.height):
                failures.append("image %s at step %d: header size %s, event says %dx%d" % (t, e.step, size, e.width, e.height))
            path = os.path.join(samples, "step-%08d.png" % e.step)
            candidates = [path] if os.path.exists(path) else sorted(glob.glob(os.path.join(samples, "epoch-*.png")))
            if not any(open(p, "rb").read() == data for p in candidates):
                failures.append("image %s at step %d differs from %s" % (t, e.step, path))
    files = sorted(int(os.path.basename(p)[5:13]) for p in glob.glob(os.path.join(samples, "step-*.png")))
    if files and sorted(set(image_steps)) != files:
        failures.append("image steps %s, but samples/ has step files %s" % (sorted(image_steps), files))

    # The config text.
    config_steps = []
    for t in tags["tensors"]:
        for e in acc.Tensors(t):
            if t != "config":
                continue
            config_steps.append(e.step)
            text = e.tensor_proto.string_val[0].decode("utf-8")
            try:
                block = text.split("```json", 1)[1].split("```", 1)[0]
                cfg = json.loads(block)
                print("config at step %d: model=%s dataset=%s steps=%s seed=%s"
                      % (e.step, cfg.get("model"), cfg.get("dataset"), cfg.get("steps"), cfg.get("seed")))
            except (IndexError, ValueError) as err:
                failures.append("config text at step %d is not a JSON block (%s): %r" % (e.step, err, text[:200]))
    if "config" not in tags["tensors"]:
        failures.append("no config text")

    metric_steps = sorted({r["step"] for r in records})
    print("scalar tags: %d (%s)" % (len(tags["scalars"]), " ".join(sorted(tags["scalars"]))))
    print("metric steps: %s" % " ".join(map(str, metric_steps)))
    print("image steps: %s" % " ".join(map(str, sorted(image_steps))))
    if "checkpoint/bytes" in tags["scalars"]:
        print("checkpoint steps: %s" % " ".join(str(e.step) for e in acc.Scalars("checkpoint/bytes")))
    print("config steps: %s" % " ".join(map(str, config_steps)))
    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    print("OK: every scalar, image and text read back by TensorBoard's EventAccumulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
