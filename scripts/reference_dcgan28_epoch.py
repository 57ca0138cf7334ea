"""PyTorch reference for docs/results.md and the main job's comparison: dcgan28 (the same layers as
Sources/GANModels) trained on Fashion-MNIST exactly as pytorch/examples' dcgan does it (batch 64,
Adam 2e-4 (0.5, 0.999), non-saturating G loss, reshuffled every epoch), for one epoch or for a
wall-time budget, then an evaluation-mode grid of 64 fixed z and optionally samples for gan-eval.

    python3 scripts/reference_dcgan28_epoch.py                          # one epoch, /tmp/torch_grid.png
    python3 scripts/reference_dcgan28_epoch.py --seconds 240 --init dcgan --samples /tmp/torch.npy
    gan-eval images --classifier C --samples /tmp/torch.npy             # the same Fréchet distance

--init examples is pytorch/examples' weights_init (Linear layers keep torch's default); dcgan
draws every conv and Linear weight from N(0, 0.02), as the DCGAN paper says (SwiftGAN's --init
dcgan). Threads: torch's default (one per core). A development tool (torch and numpy); reads
Debian's dataset-fashion-mnist files."""
import argparse, gzip, struct, time, zlib

import numpy as np
import torch
import torch.nn as nn

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--seconds", type=float, default=None, help="train for this wall time instead of one epoch")
p.add_argument("--init", choices=["examples", "dcgan"], default="examples")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--samples", default=None, help="write this many eval-mode samples (--count) as .npy [N,1,28,28] in [-1,1]")
p.add_argument("--count", type=int, default=10000)
p.add_argument("--grid", default="/tmp/torch_grid.png")
args = p.parse_args()

torch.manual_seed(args.seed)
with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
    d = f.read()
x = torch.tensor(np.frombuffer(d, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 127.5 - 1)
ngf = ndf = 64; nz = 100
def winit(m):
    n = m.__class__.__name__
    if "Conv" in n or (args.init == "dcgan" and n == "Linear"): nn.init.normal_(m.weight, 0, 0.02)
    elif "BatchNorm" in n: nn.init.normal_(m.weight, 1, 0.02); nn.init.zeros_(m.bias)
G = nn.Sequential(nn.Linear(nz, 2*ngf*49, bias=False), nn.BatchNorm1d(2*ngf*49), nn.ReLU(), nn.Unflatten(1, (2*ngf, 7, 7)),
    nn.ConvTranspose2d(2*ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(), nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())
D = nn.Sequential(nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(ndf, 2*ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2*ndf), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2*ndf*49, 1))
G.apply(winit); D.apply(winit)
oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)); oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss(); B = 64
per_epoch = len(x) // B
t0 = time.time(); step = 0
while True:
    if args.seconds is None and step == per_epoch: break
    if args.seconds is not None and time.time() - t0 >= args.seconds: break
    if step % per_epoch == 0: perm = torch.randperm(len(x))
    i = step % per_epoch
    real = x[perm[i*B:(i+1)*B]]
    D.zero_grad(); lr_ = bce(D(real), torch.ones(B, 1)); lr_.backward()
    fake = G(torch.randn(B, nz)); lf = bce(D(fake.detach()), torch.zeros(B, 1)); lf.backward(); oD.step()
    G.zero_grad(); lg = bce(D(fake), torch.ones(B, 1)); lg.backward(); oG.step()
    if step % 200 == 0: print(step, round(lr_.item() + lf.item(), 4), round(lg.item(), 4), round(time.time() - t0), flush=True)
    step += 1
print(f"trained {step} steps ({step / per_epoch:.2f} epochs) in {time.time() - t0:.1f} s", flush=True)
G.eval()
torch.manual_seed(0); z = torch.randn(64, nz)
with torch.no_grad():
    e = G(z)
    if args.samples:
        s = torch.cat([G(torch.randn(500, nz)) for _ in range((args.count + 499) // 500)])[:args.count]
        np.save(args.samples, s.numpy().astype(np.float32))
a = ((e.clamp(-1, 1) + 1) * 127.5).byte().numpy(); grid = np.zeros((240, 240), np.uint8)
for i in range(64):
    r, c = divmod(i, 8); grid[r*30+1:r*30+29, c*30+1:c*30+29] = a[i, 0]
raw = b"".join(b"\0" + grid[y].tobytes() for y in range(240))
def chunk(t, dd): return struct.pack(">I", len(dd)) + t + dd + struct.pack(">I", zlib.crc32(t + dd) & 0xffffffff)
open(args.grid, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 240, 240, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
print("done", round(time.time() - t0))
