#!/usr/bin/env python3
"""The scaling model of docs/scaling.md, checked against cluster/netns-scaling's measurements.

    scripts/scaling-model.py [docs/results/scaling.csv] [--plots DIR]

Model of one training step with W workers behind the coordinator's link of bandwidth BW (bytes/s)
and one-way latency d, per phase p (D, then G):

    T = c0 + sigma * (out + in) + sum_p [ C_p + max(W a_p + b_p,  a_p + W b_p) / BW ] + 4 d

  a_p    bytes of one work message (the parameters a worker needs: G and D in the D phase, D in
         the G phase), so out = W (a_D + a_G);
  b_p    bytes of one result node (a gradient vector and its statistics); a worker returns one
         node per contiguous block of its shards in the shard tree (usually one), in = sum of them;
  max()  the coordinator sends the W work messages one after another on its outbound link and the
         W results come back over its inbound link: the phase ends when the last result is in;
  C      the workers' compute (in the rig: the same C for every W, since all "hosts" share this
         machine's cores; at scale: one shard per host, measured single-threaded);
  4 d    two round trips per step (work out, result back, twice);
  c0, sigma  a fixed cost per step (Adam, bookkeeping) and a cost per byte (encoding, copies,
         ZeroMQ, CURVE), fitted on the unlimited-link rows only. Every limited-link and
         added-latency row is then a prediction, compared with its measurement.

Bytes a_p and b_p come from the 1-worker measurement (sent = a_D + a_G, received = b_D + b_G), split
between the phases in proportion to the parameter counts, plus an equal per-message header.
"""
import csv
import math
import sys
from collections import defaultdict

RATES = {"100mbit": 100e6 / 8, "1gbit": 1e9 / 8, "10gbit": 10e9 / 8, "none": math.inf}


def cover_counts(shards, workers):
    """Nodes each worker returns: shards split in contiguous blocks, each block covered by the
    largest shard-tree nodes inside it (as ShardTree.cover)."""
    per = shards // workers
    if shards % workers == 0 and per & (per - 1) == 0:
        return [1] * workers        # aligned power-of-two blocks: one node each
    height = max(0, math.ceil(math.log2(shards))) if shards > 1 else 0
    counts = []
    for i in range(workers):
        lo, hi = i * shards // workers, (i + 1) * shards // workers
        owned = set(range(lo, hi))
        n = 0

        def visit(level, index):
            nonlocal n
            first, last = index << level, min((index + 1) << level, shards)
            r = set(range(first, last))
            if not r:
                return
            if r <= owned:
                n += 1
                return
            if level == 0:
                return
            visit(level - 1, 2 * index)
            visit(level - 1, 2 * index + 1)

        if owned:
            visit(height, 0)
        counts.append(n)
    return counts


class Model:
    def __init__(self, one, g, d):
        """`one`: the measured 1-worker row (sent, received bytes); g, d: parameter counts."""
        sent, received = one
        h = (sent - 4 * (g + 2 * d)) / 2          # per work message, besides the parameters
        self.a = {"D": 4 * (g + d) + h, "G": 4 * d + h}
        k = (received - 4 * (g + d)) / 2          # per result node, besides the gradients
        self.b = {"D": 4 * d + k, "G": 4 * g + k}
        self.c0 = 0.0
        self.sigma = 0.0

    def bytes(self, w, shards):
        nodes = cover_counts(shards, w)
        out = w * (self.a["D"] + self.a["G"])
        inn = sum(nodes) * (self.b["D"] + self.b["G"])
        return out, inn

    def link(self, w, shards, bw):
        if math.isinf(bw):
            return 0.0
        nodes = cover_counts(shards, w)
        t = 0.0
        for p in ("D", "G"):
            a, b = self.a[p], self.b[p]
            t += max(w * a + max(nodes) * b, a + sum(nodes) * b) / bw
        return t

    def step(self, w, shards, bw, delay_s, compute_s):
        out, inn = self.bytes(w, shards)
        return self.c0 + self.sigma * (out + inn) + compute_s + self.link(w, shards, bw) + 4 * delay_s


def fit_line(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
    return my - slope * mx, slope


def main():
    args = sys.argv[1:]
    plots = None
    if "--plots" in args:
        i = args.index("--plots")
        plots = args[i + 1]
        del args[i:i + 2]
    path = args[0] if args else "docs/results/scaling.csv"
    rows = list(csv.DictReader(open(path)))
    by_model = defaultdict(list)
    for r in rows:
        by_model[r["model"]].append(r)
    worst = 0.0
    for name, rs in by_model.items():
        shards = int(rs[0]["shards"])
        g, d = int(rs[0]["g_params"]), int(rs[0]["d_params"])
        one = next(r for r in rs if r["workers"] == "1" and r["rate"] == "none" and r["delay_ms"] == "0")
        m = Model((float(one["sent_bytes"]), float(one["received_bytes"])), g, d)
        compute = float(one["compute_ms"]) / 1000
        free = [r for r in rs if r["rate"] == "none" and r["delay_ms"] == "0"]
        xs = [sum(m.bytes(int(r["workers"]), shards)) for r in free]
        ys = [float(r["step_ms"]) / 1000 - compute for r in free]
        m.c0, m.sigma = fit_line(xs, ys)
        print(f"{name}: G {g:,} and D {d:,} parameters, {shards} shards; compute C = {compute * 1e3:.1f} ms; "
              f"fitted on the {len(free)} unlimited rows: c0 = {m.c0 * 1e3:.1f} ms, "
              f"sigma = {m.sigma * 1e9:.2f} ns/byte ({1 / m.sigma / 1e9 if m.sigma > 0 else float('inf'):.2f} GB/s)")
        print(f"  bytes per step at the coordinator: out = W x {(m.a['D'] + m.a['G']) / 1e6:.2f} MB, "
              f"in = nodes x {(m.b['D'] + m.b['G']) / 1e6:.2f} MB")
        print("  | workers | link | latency | measured ms | model ms | error | bytes out (measured / model) | bytes in |")
        print("  |---|---|---|---|---|---|---|---|")
        for r in rs:
            w = int(r["workers"])
            bw = RATES[r["rate"]]
            pred = m.step(w, shards, bw, float(r["delay_ms"]) / 1000, compute)
            meas = float(r["step_ms"]) / 1000
            err = (pred - meas) / meas
            fitted = r["rate"] == "none" and r["delay_ms"] == "0"
            if not fitted:
                worst = max(worst, abs(err))
            out, inn = m.bytes(w, shards)
            print(f"  | {w} | {r['rate']} | {r['delay_ms']} ms | {meas * 1e3:.0f} | {pred * 1e3:.0f} | "
                  f"{err * 100:+.0f}%{' (fit)' if fitted else ''} | {float(r['sent_bytes']) / 1e6:.2f} / {out / 1e6:.2f} MB | "
                  f"{float(r['received_bytes']) / 1e6:.2f} / {inn / 1e6:.2f} MB |")
        if plots:
            plot(name, rs, m, shards, compute, plots)
    print(f"largest error of a predicted (not fitted) row: {worst * 100:.0f}%")
    predict_at_scale(path, by_model)
    return 0 if worst <= 0.25 else 1


def predict_at_scale(path, by_model):
    """16, 64 and 256 workers on 10 Gbit/s, one 16-sample shard per worker (global batch 16 W)."""
    import os
    shard_csv = os.path.join(os.path.dirname(path), "shard-compute.csv")
    if not os.path.exists(shard_csv):
        return
    fit = next(iter(by_model.values()))
    shards = int(fit[0]["shards"])
    g0, d0 = int(fit[0]["g_params"]), int(fit[0]["d_params"])
    one = next(r for r in fit if r["workers"] == "1" and r["rate"] == "none" and r["delay_ms"] == "0")
    base = Model((float(one["sent_bytes"]), float(one["received_bytes"])), g0, d0)
    free = [r for r in fit if r["rate"] == "none" and r["delay_ms"] == "0"]
    compute = float(one["compute_ms"]) / 1000
    c0, sigma = fit_line([sum(base.bytes(int(r["workers"]), shards)) for r in free],
                         [float(r["step_ms"]) / 1000 - compute for r in free])
    h = (float(one["sent_bytes"]) - 4 * (g0 + 2 * d0)) / 2
    k = (float(one["received_bytes"]) - 4 * (g0 + d0)) / 2
    print("\npredictions, 10 Gbit/s, one 16-sample shard per worker host, 0.1 ms latency:")
    print("| model | workers | global batch | compute ms | link ms | model step ms | link share | MB out + in per step |")
    print("|---|---|---|---|---|---|---|---|")
    for r in csv.DictReader(open(shard_csv)):
        g, d = int(r["g_params"]), int(r["d_params"])
        m = Model((4 * (g + 2 * d) + 2 * h, 4 * (g + d) + 2 * k), g, d)
        m.c0, m.sigma = c0, sigma
        c = float(r["compute_ms"]) / 1000
        bw = RATES["10gbit"]
        crossover = next((w for w in range(1, 4097) if m.link(w, w, bw) > c), None)
        for w in (16, 64, 256):
            link = m.link(w, w, bw)
            t = m.step(w, w, bw, 1e-4, c)
            out, inn = m.bytes(w, w)
            print(f"| {r['model']} | {w} | {16 * w} | {c * 1e3:.0f} | {link * 1e3:.0f} | {t * 1e3:.0f} | "
                  f"{link / t * 100:.0f}% | {(out + inn) / 1e6:,.0f} |")
        print(f"| {r['model']} | link time exceeds compute from W = {crossover} | | | | | | |")


def plot(name, rs, m, shards, compute, folder):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for (rate, delay), colour in zip(sorted({(r["rate"], r["delay_ms"]) for r in rs}), "bgrcmyk"):
        sel = sorted((r for r in rs if r["rate"] == rate and r["delay_ms"] == delay), key=lambda r: int(r["workers"]))
        ws = [int(r["workers"]) for r in sel]
        ax[0].plot(ws, [float(r["step_ms"]) for r in sel], "o", color=colour, label=f"{rate}, {delay} ms measured")
        ax[0].plot(ws, [m.step(w, shards, RATES[rate], float(delay) / 1000, compute) * 1e3 for w in ws], "-",
                   color=colour, alpha=0.6)
    ax[0].set_xlabel("workers")
    ax[0].set_ylabel("ms per step")
    ax[0].set_title(f"{name}: measured (dots) and model (lines)")
    ax[0].legend(fontsize=7)
    sel = sorted((r for r in rs if r["rate"] == "none" and r["delay_ms"] == "0"), key=lambda r: int(r["workers"]))
    ws = [int(r["workers"]) for r in sel]
    ax[1].plot(ws, [float(r["sent_bytes"]) / 1e6 for r in sel], "o-", label="sent by the coordinator")
    ax[1].plot(ws, [float(r["received_bytes"]) / 1e6 for r in sel], "s-", label="received by the coordinator")
    ax[1].set_xlabel("workers")
    ax[1].set_ylabel("MB per step")
    ax[1].set_title("the coordinator's traffic")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    out = f"{folder}/scaling-{name}.png"
    fig.savefig(out, dpi=110)
    print(f"  wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
