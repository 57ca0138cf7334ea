#!/usr/bin/env python3
"""PyTorch twin of gan-bench: milliseconds per full GAN training iteration.

The same models as Sources/GANModels/Models.swift (layer for layer; D ends in a logit and the
loss is BCEWithLogitsLoss, as SwiftGAN folds the Sigmoid into the loss), the same step as
pytorch/examples' DCGAN and SwiftGAN's Trainer with --shards 1:

    D: zero_grad; BCE(D(real), 1).backward(); fake = G(z); BCE(D(fake.detach()), 0).backward(); Adam(D)
    G: zero_grad; BCE(D(fake), 1).backward()   (non-saturating); Adam(G)

Adam(lr 2e-4, betas (0.5, 0.999)) for both. Synthetic data: U(-1, 1) real samples and N(0, 1)
noise drawn each iteration. Prints the line format gan-bench prints:

    bench impl=torch model=dcgan28 ... ms_median=... ms_min=... d_ms=... g_ms=... adam_ms=...

A development tool only (SwiftGAN itself never needs Python).
"""
import argparse
import warnings

warnings.filterwarnings("ignore", category=FutureWarning)
import json
import statistics
import time

import torch
import torch.nn as nn


def three_layer(arch, nz, shape, ngf, ndf):
    ch, h = shape[0], shape[1]
    if h % 4 == 0:
        k, b = 4, h // 4
    elif (h + 3) % 4 == 0:
        k, b = 3, (h + 3) // 4
    else:
        raise SystemExit(f"{arch} builds 4b x 4b or (4b-3) x (4b-3) images; got {h}")
    g = nn.Sequential(
        nn.Linear(nz, 2 * ngf * b * b, bias=False),
        nn.BatchNorm1d(2 * ngf * b * b),
        nn.ReLU(),
        nn.Unflatten(1, (2 * ngf, b, b)),
        nn.ConvTranspose2d(2 * ngf, ngf, k, 2, 1, bias=False),
        nn.BatchNorm2d(ngf),
        nn.ReLU(),
        nn.ConvTranspose2d(ngf, ch, k, 2, 1, bias=True),
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(ch, ndf, k, 2, 1, bias=True),
        nn.LeakyReLU(0.2),
        nn.Conv2d(ndf, 2 * ndf, k, 2, 1, bias=False),
        nn.BatchNorm2d(2 * ndf),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * ndf * b * b, 1),
    )
    return g, d, [nz]


def dcgan64(nz, shape, ngf, ndf):
    nc = shape[0]
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten(),
    )
    return g, d, [nz, 1, 1]


def mlp(nz, shape, hidden):
    size = 1
    for s in shape:
        size *= s
    if len(shape) != 3:
        h = hidden
        g = nn.Sequential(nn.Linear(nz, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, size))
        d = nn.Sequential(nn.Linear(size, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 1))
        return g, d, [nz]
    g = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, size), nn.Tanh(),
                      nn.Unflatten(1, tuple(shape)))
    d = nn.Sequential(nn.Flatten(), nn.Linear(size, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1))
    return g, d, [nz]


def build(args, shape):
    base = 32 if args.model == "dcgan-small" else 64
    ngf = args.ngf or base
    ndf = args.ndf or base
    if args.model == "mlp":
        return mlp(args.nz, shape, args.hidden)
    if args.model in ("dcgan-small", "dcgan28"):
        return three_layer(args.model, args.nz, shape, ngf, ndf)
    if args.model == "dcgan64":
        return dcgan64(args.nz, shape, ngf, ndf)
    raise SystemExit(f"unknown --model {args.model}")


def init_dcgan(m):
    # pytorch/examples' weights_init, as GANModel.initialize does for the DCGANs.
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="dcgan28", choices=["mlp", "dcgan-small", "dcgan28", "dcgan64"])
    p.add_argument("--data-shape", default="1,28,28")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads; 0 keeps torch's default (one per core)")
    p.add_argument("--ddp", type=int, default=0,
                   help="run as N DistributedDataParallel processes (gloo, 1 thread each as torchrun sets), global batch --batch")
    p.add_argument("--nz", type=int, default=100)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--ngf", type=int, default=None)
    p.add_argument("--ndf", type=int, default=None)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.ddp:
        import torch.multiprocessing as mp
        port = _free_port()
        mp.spawn(_ddp_rank, args=(args, port), nprocs=args.ddp, join=True)
        return
    run(args)


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_rank(rank, args, port):
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=args.ddp)
    args.threads = 1
    run(args, rank=rank, world=args.ddp)
    dist.destroy_process_group()


def run(args, rank=0, world=1):
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed + rank)
    shape = [int(s) for s in args.data_shape.split(",")]
    netG, netD, zshape = build(args, shape)
    if args.model != "mlp":
        netG.apply(init_dcgan)
        netD.apply(init_dcgan)
    netG.train()
    netD.train()
    crit = nn.BCEWithLogitsLoss()
    if world > 1:
        # Same initial parameters on every rank (DDP broadcasts rank 0's), BatchNorm statistics per
        # rank as in SwiftGAN's shards, and one all-reduce per network per step: D's real-sample
        # backward and G's loss through D skip D's all-reduce (no_sync), as a careful user writes it.
        from torch.nn.parallel import DistributedDataParallel as DDP
        netG = DDP(netG, broadcast_buffers=False)
        netD = DDP(netD, broadcast_buffers=False)
    import contextlib
    quiet_d = netD.no_sync if world > 1 else contextlib.nullcontext
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    B = args.batch // world
    ones = torch.ones(B)
    zeros = torch.zeros(B)
    last = {}

    def iteration():
        t0 = time.perf_counter()
        real = torch.rand([B] + shape) * 2 - 1
        netD.zero_grad()
        with quiet_d():
            err_real = crit(netD(real).view(-1), ones)
            err_real.backward()
        z = torch.randn([B] + zshape)
        fake = netG(z)
        err_fake = crit(netD(fake.detach()).view(-1), zeros)
        err_fake.backward()
        t1 = time.perf_counter()
        optD.step()
        t2 = time.perf_counter()
        netG.zero_grad()
        with quiet_d():
            err_g = crit(netD(fake).view(-1), ones)
            err_g.backward()
        t3 = time.perf_counter()
        optG.step()
        t4 = time.perf_counter()
        last["loss_d"] = (err_real + err_fake).detach()
        return t1 - t0, t2 - t1, t3 - t2, t4 - t3

    for _ in range(args.warmup):
        iteration()
    total, cpu, dph, gph, adam = [], [], [], [], []
    for _ in range(args.repeats):
        d = ad = g = ag = 0.0
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(args.iters):
            t = iteration()
            d += t[0]; ad += t[1]; g += t[2]; ag += t[3]
        per = 1000.0 / args.iters
        total.append((time.perf_counter() - start) * per)
        cpu.append((time.process_time() - cpu_start) * per)
        dph.append(d * per); gph.append(g * per); adam.append((ad + ag) * per)

    if rank != 0:
        return
    n_g = sum(p.numel() for p in netG.parameters())
    n_d = sum(p.numel() for p in netD.parameters())
    kernel = "torch" + torch.__version__.split("+")[0] + ("-mkldnn" if torch.backends.mkldnn.is_available() else "")
    fields = [
        ("impl", "torch"), ("model", args.model), ("data_shape", "x".join(str(s) for s in shape)),
        ("batch", str(args.batch)), ("shards", str(world)), ("threads", str(torch.get_num_threads())),
        ("kernel", kernel), ("iters", str(args.iters)), ("repeats", str(args.repeats)),
        ("ms_median", f"{statistics.median(total):.3f}"), ("ms_min", f"{min(total):.3f}"),
        ("images_per_s", f"{args.batch * 1000 / statistics.median(total):.1f}"),
        ("cpu_ms", f"{statistics.median(cpu):.3f}"), ("d_ms", f"{statistics.median(dph):.3f}"), ("g_ms", f"{statistics.median(gph):.3f}"),
        ("adam_ms", f"{statistics.median(adam):.3f}"),
        ("params_g", str(n_g)), ("params_d", str(n_d)), ("loss_d", f"{float(last['loss_d']):.4f}"),
    ]
    if args.json:
        obj = {}
        for k, v in fields:
            try:
                obj[k] = float(v)
            except ValueError:
                obj[k] = v
        obj["ms_all"] = total
        print(json.dumps(obj, sort_keys=True))
    else:
        print("bench " + " ".join(f"{k}={v}" for k, v in fields))


if __name__ == "__main__":
    main()
