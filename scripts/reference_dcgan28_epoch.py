"""PyTorch reference for docs/results.md: dcgan28 (the same layers as Sources/GANModels) trained one
epoch on Fashion-MNIST exactly as pytorch/examples' dcgan does it (batch 64, Adam 2e-4 (0.5, 0.999),
non-saturating G loss, DCGAN init), then an evaluation-mode grid of 64 fixed z as /tmp/torch_grid.png.
A development tool: `pip install torch numpy`; reads Debian's dataset-fashion-mnist files."""
import torch, torch.nn as nn, numpy as np, gzip, struct, zlib, time
torch.manual_seed(1); torch.set_num_threads(2)
with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
    d = f.read()
x = torch.tensor(np.frombuffer(d, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 127.5 - 1)
ngf = ndf = 64; nz = 100
def winit(m):
    n = m.__class__.__name__
    if "Conv" in n: nn.init.normal_(m.weight, 0, 0.02)
    elif "BatchNorm" in n: nn.init.normal_(m.weight, 1, 0.02); nn.init.zeros_(m.bias)
G = nn.Sequential(nn.Linear(nz, 2*ngf*49, bias=False), nn.BatchNorm1d(2*ngf*49), nn.ReLU(), nn.Unflatten(1, (2*ngf, 7, 7)),
    nn.ConvTranspose2d(2*ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(), nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())
D = nn.Sequential(nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(ndf, 2*ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2*ndf), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2*ndf*49, 1))
G.apply(winit); D.apply(winit)
oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)); oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss(); B = 64
perm = torch.randperm(len(x)); t0 = time.time()
for step in range(len(x) // B):
    real = x[perm[step*B:(step+1)*B]]
    D.zero_grad(); lr_ = bce(D(real), torch.ones(B, 1)); lr_.backward()
    fake = G(torch.randn(B, nz)); lf = bce(D(fake.detach()), torch.zeros(B, 1)); lf.backward(); oD.step()
    G.zero_grad(); lg = bce(D(fake), torch.ones(B, 1)); lg.backward(); oG.step()
    if step % 200 == 0: print(step, lr_.item() + lf.item(), lg.item(), round(time.time() - t0), flush=True)
torch.manual_seed(0); z = torch.randn(64, nz)
G.eval(); e = G(z).detach()
a = ((e.clamp(-1, 1) + 1) * 127.5).byte().numpy(); grid = np.zeros((240, 240), np.uint8)
for i in range(64):
    r, c = divmod(i, 8); grid[r*30+1:r*30+29, c*30+1:c*30+29] = a[i, 0]
raw = b"".join(b"\0" + grid[y].tobytes() for y in range(240))
def chunk(t, dd): return struct.pack(">I", len(dd)) + t + dd + struct.pack(">I", zlib.crc32(t + dd) & 0xffffffff)
open("/tmp/torch_grid.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 240, 240, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
print("done", round(time.time() - t0))
