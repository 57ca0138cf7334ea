#!/usr/bin/env python3
"""PyTorch reference fixtures for SwiftGAN's numeric tests.

Usage (a development tool only; SwiftGAN never needs Python at run time):

    pip install torch numpy
    python3 scripts/make_fixtures.py                 # every fixture
    python3 scripts/make_fixtures.py --only CASE...  # only these layer cases (folders below)

Run from anywhere: paths are relative to the repository root (the parent of this script's
folder). The script deletes and rewrites every fixture folder listed below; the output is
deterministic (torch.manual_seed per case, float32, CPU, single thread), so rerunning it on the
same PyTorch version gives the same bytes and a clean `git diff`. Another PyTorch version may
change the last bits of some existing fixtures (torch 2.13 CPU does, e.g. linear, tanh and the
training steps); to add a case without touching the others, write only it with --only. Every
case seeds torch itself, so leaving cases out does not change the ones written.

Format: one folder per case, holding float32 `.npy` files (np.save, C order, little endian) and a
`meta.json` with the case's hyperparameters. Shapes include the batch dimension.

Tests/GANLayersTests/Fixtures/<case>/           one layer, forward and backward
    meta.json        {"layer": ..., "input_shape": [N, ...], hyperparameters, "training": bool}
    x.npy            input
    weight.npy       parameters by their PyTorch names (when the layer has them)
    bias.npy
    y.npy            output
    dy.npy           a random upstream gradient: the loss is L = sum(y * dy)
    dx.npy           dL/dx
    grad_weight.npy  dL/dweight
    grad_bias.npy    dL/dbias
    BatchNorm also: running_mean.npy, running_var.npy (before the forward) and
    running_mean_after.npy, running_var_after.npy (after it; unchanged in eval mode), and
    meta "num_batches_tracked_after". The wide BatchNorm training cases (batchnorm*_c11_train,
    batchnorm*_c16_train) also hold batch_mean.npy and batch_var.npy: the batch mean and the
    unbiased batch variance (float64 from x, then float32), the statistics the layer reports.
  Cases: linear, linear_nobias, conv2d, conv2d_rect, conv2d_s2p0, conv_transpose2d,
  conv_transpose2d_nobias, conv_transpose2d_1x1, batchnorm2d_train, batchnorm2d_eval,
  batchnorm1d_train, batchnorm1d_eval, batchnorm{2d,1d}_{c11,c16}_{train,eval} (11 channels: one
  SIMD block of 8 and 3 scalar channels; 16: two blocks), relu, leaky_relu, tanh, sigmoid.

Tests/GANLayersTests/Fixtures/losses/
    logits.npy                 [n] logits, including ±100, ±30, 0 and small values
    <loss>_value.npy           [1] the mean loss
    <loss>_grad.npy            [n] d(mean loss)/d logits
  for <loss> in bce_real (BCEWithLogits, target 1), bce_fake (target 0), g_minimax
  (mean log(1 - sigmoid(l)) = mean -softplus(l)), g_nonsaturating (mean -log sigmoid(l)),
  g_kl (mean -log(D/(1-D)) = mean -l). Values and gradients come from autograd in float64 and are
  then cast to float32.

Tests/GANOptimTests/Fixtures/adam/<config>/     torch.optim.Adam (foreach=False), 10 steps
    meta.json        {"lr", "beta1", "beta2", "eps", "steps", "parameter_count", "step_after"}
    p0.npy           [P] initial parameters
    grads.npy        [10, P] the gradient given at each step (some zero, some large, some tiny)
    p_after.npy      [10, P] parameters after each step
    exp_avg.npy      [P] first moment after step 10
    exp_avg_sq.npy   [P] second moment after step 10
  Configs: dcgan (lr 2e-4, betas (0.5, 0.999), eps 1e-8) and default (lr 1e-3, (0.9, 0.999), 1e-8).

Tests/GANTrainingTests/Fixtures/{mlp_step_minimax, mlp_step_nonsaturating, mlp_step_kl, dcgan_step}/
    One full GAN iteration as pytorch/examples dcgan/main.py does it (see
    Tests/GANTrainingTests/Fixtures/README.md for the exact order of operations):
    meta.json              architecture, batch, nz, loss, optimiser settings, and
                           G_/D_num_batches_tracked_after (an int: every BatchNorm of a network has
                           the same count; 0 without BatchNorm) and G_/D_num_batches_tracked_by_name
    metrics.json           {errD_real, errD_fake, errG, D_x, D_G_z1, D_G_z2}
    real.npy, z.npy        the batch of real samples and the noise
    G.<name>.npy           G's initial state_dict entries (parameters and buffers; names such as
    D.<name>.npy           "main.0.weight"; num_batches_tracked is skipped, see meta.json)
    D_grad.<name>.npy      D's parameter gradients of the D step (after both backward calls)
    G_grad.<name>.npy      G's parameter gradients of the G step
    G_after.<name>.npy     every state_dict entry after the iteration
    D_after.<name>.npy
"""

import argparse
import json
import os
import shutil

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = os.path.join(ROOT, "Tests", "GANLayersTests", "Fixtures")
OPTIM = os.path.join(ROOT, "Tests", "GANOptimTests", "Fixtures")
TRAINING = os.path.join(ROOT, "Tests", "GANTrainingTests", "Fixtures")

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

# Layer case names to write (--only); None: every fixture.
ONLY = None


def wanted(name):
    return ONLY is None or name in ONLY


# ----------------------------------------------------------------------------------------------
# Helpers

def fresh_dir(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def save(folder, name, t):
    a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    a = np.ascontiguousarray(a.astype(np.float32))
    np.save(os.path.join(folder, name + ".npy"), a)


def save_json(folder, name, obj):
    with open(os.path.join(folder, name), "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# Layer cases

def layer_case(name, seed, module, x, meta, training=True):
    """Runs `module` forward on x and backward with a random dy; saves everything."""
    if not wanted(name):
        return
    folder = fresh_dir(os.path.join(LAYERS, name))
    torch.manual_seed(seed + 1000)
    module.train(training)
    params = dict(module.named_parameters())
    buffers = {k: v for k, v in module.named_buffers() if k != "num_batches_tracked"}
    for k, v in params.items():
        save(folder, k, v)
    for k, v in buffers.items():
        save(folder, k, v)
    x = x.detach().clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    save(folder, "x", x)
    save(folder, "y", y)
    save(folder, "dy", dy)
    save(folder, "dx", x.grad)
    for k, v in params.items():
        save(folder, "grad_" + k, v.grad)
    for k, v in buffers.items():
        save(folder, k + "_after", v)
    meta = dict(meta)
    meta["input_shape"] = list(x.shape)
    meta["training"] = training
    if hasattr(module, "num_batches_tracked"):
        meta["num_batches_tracked_after"] = int(module.num_batches_tracked)
    save_json(folder, "meta.json", meta)


def make_layer_fixtures():
    # Linear
    torch.manual_seed(1)
    m = nn.Linear(5, 3)
    layer_case("linear", 1, m, torch.randn(4, 5),
               {"layer": "linear", "in_features": 5, "out_features": 3, "bias": True})
    torch.manual_seed(2)
    m = nn.Linear(5, 3, bias=False)
    layer_case("linear_nobias", 2, m, torch.randn(4, 5),
               {"layer": "linear", "in_features": 5, "out_features": 3, "bias": False})

    # Conv2d
    def conv(name, seed, n, ci, co, h, w, k, s, p, bias):
        torch.manual_seed(seed)
        m = nn.Conv2d(ci, co, k, stride=s, padding=p, bias=bias)
        layer_case(name, seed, m, torch.randn(n, ci, h, w),
                   {"layer": "conv2d", "in_channels": ci, "out_channels": co, "kernel_size": k,
                    "stride": s, "padding": p, "bias": bias})

    conv("conv2d", 3, 2, 3, 4, 7, 7, 4, 2, 1, True)
    conv("conv2d_rect", 4, 2, 2, 3, 6, 5, 3, 1, 0, False)
    # H = 8 with k3 s2 p0: (8 - 3) / 2 + 1 = 3 rows, the last input row unused (floor).
    conv("conv2d_s2p0", 5, 2, 3, 2, 8, 7, 3, 2, 0, True)

    # ConvTranspose2d
    def convt(name, seed, n, ci, co, h, w, k, s, p, bias):
        torch.manual_seed(seed)
        m = nn.ConvTranspose2d(ci, co, k, stride=s, padding=p, bias=bias)
        layer_case(name, seed, m, torch.randn(n, ci, h, w),
                   {"layer": "conv_transpose2d", "in_channels": ci, "out_channels": co, "kernel_size": k,
                    "stride": s, "padding": p, "bias": bias})

    convt("conv_transpose2d", 6, 2, 4, 3, 4, 4, 4, 2, 1, True)
    convt("conv_transpose2d_nobias", 7, 2, 4, 3, 4, 4, 4, 2, 1, False)
    # DCGAN-64's first layer shape: a 1×1 "image" of nz channels to 4×4.
    convt("conv_transpose2d_1x1", 8, 2, 8, 5, 1, 1, 4, 1, 0, False)

    # BatchNorm: non-unit affine parameters and non-trivial running statistics, drawn first after
    # seeding (so every case's random numbers follow from its seed alone).
    def bn_module(seed, dims, c):
        torch.manual_seed(seed)
        m = nn.BatchNorm2d(c) if dims == 2 else nn.BatchNorm1d(c)
        with torch.no_grad():
            m.weight.copy_(1 + 0.5 * torch.randn(c))
            m.bias.copy_(0.3 * torch.randn(c))
            m.running_mean.copy_(0.5 * torch.randn(c))
            m.running_var.copy_(0.5 + torch.rand(c))
            m.num_batches_tracked.fill_(0)
        return m

    def bn_case(name, seed, m, x, dims, c, training):
        layer_case(name, seed, m, x,
                   {"layer": "batchnorm", "dimensions": dims, "num_features": c, "eps": m.eps,
                    "momentum": m.momentum}, training=training)

    def bn(name, seed, dims, n, c, spatial, training):
        m = bn_module(seed, dims, c)
        # Non-zero mean and non-unit scale per channel, so that the normalisation matters.
        shape = [n, c] + spatial
        x = torch.randn(*shape) * 2.0 + 0.7
        bn_case(name, seed, m, x, dims, c, training)

    bn("batchnorm2d_train", 9, 2, 3, 4, [3, 3], True)
    bn("batchnorm2d_eval", 10, 2, 3, 4, [3, 3], False)
    bn("batchnorm1d_train", 11, 1, 5, 6, [], True)
    bn("batchnorm1d_eval", 12, 1, 5, 6, [], False)

    # Wide BatchNorm: BatchNorm.swift runs blocks of 8 channels in SIMD lanes and the rest of the
    # channels (and evaluation-mode forward) in a scalar path. 11 channels = one block + 3 scalar
    # channels, 16 = two blocks. Each channel gets its own mean and scale, so that a lane reading
    # or writing a neighbour's channel shows; the batch statistics are saved too (batch_mean.npy,
    # batch_var.npy: the mean and the unbiased variance the layer reports), since the running
    # estimates see them only through momentum.
    def bn_wide(name, seed, dims, n, c, spatial, training):
        m = bn_module(seed, dims, c)
        centre = 2.0 * torch.randn(c)
        scale = 0.5 + 2.0 * torch.rand(c)
        view = [1, c] + [1] * len(spatial)
        x = torch.randn(*([n, c] + spatial)) * scale.view(view) + centre.view(view)
        running_mean, running_var = m.running_mean.clone(), m.running_var.clone()
        bn_case(name, seed, m, x, dims, c, training)
        folder = os.path.join(LAYERS, name)
        if training and wanted(name):
            dims_reduced = [0] + [2 + i for i in range(len(spatial))]
            x64 = x.double()
            batch_mean = x64.mean(dim=dims_reduced)
            batch_var = x64.var(dim=dims_reduced, unbiased=True)
            # The same statistics PyTorch folded into its running estimates.
            mom = m.momentum
            assert torch.allclose(m.running_mean.double(), (1 - mom) * running_mean.double() + mom * batch_mean, atol=1e-6)
            assert torch.allclose(m.running_var.double(), (1 - mom) * running_var.double() + mom * batch_var, atol=1e-6)
            save(folder, "batch_mean", batch_mean)
            save(folder, "batch_var", batch_var)

    bn_wide("batchnorm2d_c11_train", 60, 2, 4, 11, [5, 3], True)
    bn_wide("batchnorm2d_c11_eval", 61, 2, 4, 11, [5, 3], False)
    bn_wide("batchnorm2d_c16_train", 62, 2, 4, 16, [5, 3], True)
    bn_wide("batchnorm2d_c16_eval", 63, 2, 4, 16, [5, 3], False)
    bn_wide("batchnorm1d_c11_train", 64, 1, 6, 11, [], True)
    bn_wide("batchnorm1d_c11_eval", 65, 1, 6, 11, [], False)
    bn_wide("batchnorm1d_c16_train", 66, 1, 6, 16, [], True)
    bn_wide("batchnorm1d_c16_eval", 67, 1, 6, 16, [], False)

    # Activations
    torch.manual_seed(13)
    x = torch.randn(3, 4, 5)
    # ReLU and LeakyReLU: keep every value at least 0.05 away from the kink at 0.
    x = torch.where(x.abs() < 0.05, torch.sign(x + 1e-9) * 0.05 + x, x)
    layer_case("relu", 13, nn.ReLU(), x, {"layer": "relu"})
    layer_case("leaky_relu", 14, nn.LeakyReLU(0.2), x, {"layer": "leaky_relu", "negative_slope": 0.2})
    torch.manual_seed(15)
    sat = torch.tensor([-20.0, -19.5, -15.0, -9.0, -3.0, -1e-3, 0.0, 1e-3, 3.0, 9.0, 15.0, 19.5, 20.0])
    x = torch.cat([sat, 2.5 * torch.randn(47)]).reshape(4, 15)
    layer_case("tanh", 15, nn.Tanh(), x, {"layer": "tanh"})
    layer_case("sigmoid", 16, nn.Sigmoid(), x, {"layer": "sigmoid"})


# ----------------------------------------------------------------------------------------------
# Losses

def make_loss_fixtures():
    folder = fresh_dir(os.path.join(LAYERS, "losses"))
    torch.manual_seed(20)
    fixed = [-100.0, -30.0, -20.0, -5.0, -2.0, -1.0, -0.1, -1e-3, -1e-6, 0.0,
             1e-6, 1e-3, 0.1, 1.0, 2.0, 5.0, 20.0, 30.0, 100.0]
    logits32 = torch.cat([torch.tensor(fixed), 0.5 * torch.randn(5)]).float()
    save(folder, "logits", logits32)
    losses = {
        "bce_real": lambda l: F.binary_cross_entropy_with_logits(l, torch.ones_like(l)),
        "bce_fake": lambda l: F.binary_cross_entropy_with_logits(l, torch.zeros_like(l)),
        # log(1 - sigmoid(l)) = -softplus(l), stable for any l.
        "g_minimax": lambda l: (-F.softplus(l)).mean(),
        # -log sigmoid(l) = softplus(-l).
        "g_nonsaturating": lambda l: F.softplus(-l).mean(),
        # -log(D / (1 - D)) = -l.
        "g_kl": lambda l: (-l).mean(),
    }
    values = {}
    for name, fn in losses.items():
        l64 = logits32.double().clone().requires_grad_(True)
        loss = fn(l64)
        loss.backward()
        save(folder, name + "_value", loss.reshape(1))
        save(folder, name + "_grad", l64.grad)
        values[name] = float(loss.detach())
    save_json(folder, "meta.json", {"count": int(logits32.numel()), "losses": sorted(losses.keys()),
                                    "values_float64": values})


# ----------------------------------------------------------------------------------------------
# Adam

def make_adam_fixtures():
    base = os.path.join(OPTIM, "adam")
    if os.path.isdir(base):
        shutil.rmtree(base)
    configs = {"dcgan": dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-8),
               "default": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)}
    steps, p_count = 10, 50
    torch.manual_seed(30)
    p0 = torch.randn(p_count)
    grads = torch.randn(steps, p_count)
    grads[:, 0] = 0.0                      # a parameter that never gets a gradient
    grads[3, 1:6] = 0.0                    # gradients that vanish for one step
    grads[:, 6] *= 1e3                     # large gradients
    grads[5, 7] = 1e4
    grads[:, 8] *= 1e-7                    # tiny gradients, where eps matters
    grads[2, 9] = -5e3
    for name, cfg in configs.items():
        folder = fresh_dir(os.path.join(base, name))
        p = p0.clone().requires_grad_(True)
        opt = torch.optim.Adam([p], foreach=False, **cfg)
        after = []
        for t in range(steps):
            p.grad = grads[t].clone()
            opt.step()
            after.append(p.detach().clone())
        state = opt.state[p]
        save(folder, "p0", p0)
        save(folder, "grads", grads)
        save(folder, "p_after", torch.stack(after))
        save(folder, "exp_avg", state["exp_avg"])
        save(folder, "exp_avg_sq", state["exp_avg_sq"])
        save_json(folder, "meta.json", {"lr": cfg["lr"], "beta1": cfg["betas"][0], "beta2": cfg["betas"][1],
                                        "eps": cfg["eps"], "steps": steps, "parameter_count": p_count,
                                        "step_after": int(state["step"])})


# ----------------------------------------------------------------------------------------------
# One GAN training iteration (pytorch/examples dcgan/main.py)

class Net(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


def dcgan_weights_init(m):
    # pytorch/examples dcgan/main.py: Conv* weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0.
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def generator_loss(kind, logits):
    if kind == "minimax":          # minimise log(1 - D(G(z))) = -softplus(l)
        return (-F.softplus(logits)).mean()
    if kind == "nonsaturating":    # minimise -log D(G(z)) = BCE(l, 1)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    if kind == "kl":               # minimise -log(D / (1 - D)) = -l
        return (-logits).mean()
    raise ValueError(kind)


def state_entries(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def batches_tracked(net):
    return {k: int(v) for k, v in net.state_dict().items() if k.endswith("num_batches_tracked")}


def common_count(counts):
    values = set(counts.values())
    assert len(values) <= 1, counts
    return values.pop() if values else 0


def training_step_case(name, netG, netD, real, z, loss_kind, meta):
    folder = fresh_dir(os.path.join(TRAINING, name))
    netG.train()
    netD.train()
    for k, v in state_entries(netG).items():
        save(folder, "G." + k, v)
    for k, v in state_entries(netD).items():
        save(folder, "D." + k, v)
    save(folder, "real", real)
    save(folder, "z", z)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=False)
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999), foreach=False)
    criterion = nn.BCEWithLogitsLoss()
    b = real.shape[0]

    # (1) Update D: maximise log(D(x)) + log(1 - D(G(z))).
    netD.zero_grad()
    output = netD(real).view(-1)
    errD_real = criterion(output, torch.full((b,), 1.0))
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().item()
    fake = netG(z)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, torch.full((b,), 0.0))
    errD_fake.backward()
    D_G_z1 = torch.sigmoid(output).mean().item()
    for k, p in netD.named_parameters():
        save(folder, "D_grad." + k, p.grad)
    optD.step()

    # (2) Update G with the chosen generator loss on D's logits for the same fakes.
    netG.zero_grad()
    output = netD(fake).view(-1)
    errG = generator_loss(loss_kind, output)
    errG.backward()
    D_G_z2 = torch.sigmoid(output).mean().item()
    for k, p in netG.named_parameters():
        save(folder, "G_grad." + k, p.grad)
    optG.step()

    for k, v in state_entries(netG).items():
        save(folder, "G_after." + k, v)
    for k, v in state_entries(netD).items():
        save(folder, "D_after." + k, v)
    save_json(folder, "metrics.json", {"errD_real": errD_real.item(), "errD_fake": errD_fake.item(),
                                       "errG": errG.item(), "D_x": D_x, "D_G_z1": D_G_z1, "D_G_z2": D_G_z2})
    meta = dict(meta)
    meta.update({"loss": loss_kind, "batch": int(b), "optimizer": {"name": "adam", "lr": 2e-4, "beta1": 0.5,
                                                                   "beta2": 0.999, "eps": 1e-8},
                 # Every BatchNorm of a network sees the same forwards, so one count per network
                 # (0 without BatchNorm), and the per-layer state_dict entries for completeness.
                 "G_num_batches_tracked_after": common_count(batches_tracked(netG)),
                 "D_num_batches_tracked_after": common_count(batches_tracked(netD)),
                 "G_num_batches_tracked_by_name": batches_tracked(netG),
                 "D_num_batches_tracked_by_name": batches_tracked(netD)})
    save_json(folder, "meta.json", meta)


def make_training_fixtures():
    for i, kind in enumerate(["minimax", "nonsaturating", "kl"]):
        torch.manual_seed(40 + i)
        netG = Net(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
        netD = Net(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
        # Real data: points near a ring of radius 1 (a typical 2-D toy distribution).
        angle = torch.rand(6) * 2 * torch.pi
        real = torch.stack([torch.cos(angle), torch.sin(angle)], 1) + 0.05 * torch.randn(6, 2)
        z = torch.rand(6, 8) * 2 - 1
        training_step_case("mlp_step_" + kind, netG, netD, real, z, kind,
                           {"architecture": "mlp", "nz": 8, "data_dim": 2, "hidden": 16, "z": "uniform(-1, 1)",
                            "G": "Linear(8,16) ReLU Linear(16,16) ReLU Linear(16,2)",
                            "D": "Linear(2,16) LeakyReLU(0.2) Linear(16,16) LeakyReLU(0.2) Linear(16,1)"})

    torch.manual_seed(50)
    nz, ngf, ndf = 8, 4, 4
    netG = Net(nn.Linear(nz, 2 * ngf * 7 * 7, bias=False), nn.BatchNorm1d(2 * ngf * 7 * 7), nn.ReLU(),
               nn.Unflatten(1, (2 * ngf, 7, 7)),
               nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(),
               nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=True), nn.Tanh())
    netD = Net(nn.Conv2d(1, ndf, 4, 2, 1, bias=True), nn.LeakyReLU(0.2),
               nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2),
               nn.Flatten(), nn.Linear(2 * ndf * 7 * 7, 1))
    netG.apply(dcgan_weights_init)
    netD.apply(dcgan_weights_init)
    # Real images in [-1, 1]: smooth blobs plus noise, squashed by tanh.
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 28), torch.linspace(-1, 1, 28), indexing="ij")
    centres = torch.rand(4, 2) * 1.2 - 0.6
    blobs = torch.exp(-((xx - centres[:, 0, None, None]) ** 2 + (yy - centres[:, 1, None, None]) ** 2) / 0.1)
    real = torch.tanh(3 * blobs - 1 + 0.3 * torch.randn(4, 28, 28)).unsqueeze(1)
    z = torch.randn(4, nz)
    training_step_case("dcgan_step", netG, netD, real, z, "nonsaturating",
                       {"architecture": "dcgan28", "nz": nz, "ngf": ngf, "ndf": ndf, "z": "normal(0, 1)",
                        "image_shape": [1, 28, 28],
                        "G": "Linear(8,392,bias=False) BatchNorm1d(392) ReLU Unflatten(1,(8,7,7)) "
                             "ConvTranspose2d(8,4,4,2,1,bias=False) BatchNorm2d(4) ReLU "
                             "ConvTranspose2d(4,1,4,2,1,bias=True) Tanh",
                        "D": "Conv2d(1,4,4,2,1,bias=True) LeakyReLU(0.2) Conv2d(4,8,4,2,1,bias=False) "
                             "BatchNorm2d(8) LeakyReLU(0.2) Flatten Linear(392,1)",
                        "init": "dcgan weights_init: Conv* weight N(0,0.02); BatchNorm weight N(1,0.02), "
                                "bias 0; Linear and conv biases keep PyTorch's default init"})


def total_size(paths):
    n = 0
    for p in paths:
        for d, _, files in os.walk(p):
            n += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return n


def main():
    global ONLY
    parser = argparse.ArgumentParser(description="Writes SwiftGAN's PyTorch reference fixtures.")
    parser.add_argument("--only", nargs="+", metavar="CASE",
                        help="write only these layer cases (folders under Tests/GANLayersTests/Fixtures)")
    args = parser.parse_args()
    if args.only:
        ONLY = set(args.only)
        make_layer_fixtures()
        missing = [n for n in sorted(ONLY) if not os.path.isdir(os.path.join(LAYERS, n))]
        assert not missing, f"no such layer case: {missing}"
        print(f"layer cases written: {', '.join(sorted(ONLY))} (torch {torch.__version__})")
        return
    make_layer_fixtures()
    make_loss_fixtures()
    make_adam_fixtures()
    make_training_fixtures()
    size = total_size([LAYERS, OPTIM, TRAINING])
    print(f"fixtures written: {size / 1024:.1f} KiB in total (torch {torch.__version__})")
    assert size < 2 * 1024 * 1024, "fixtures must stay well under 2 MB"


if __name__ == "__main__":
    main()
