#!/usr/bin/env python3
"""Loads a SwiftGAN dcgan64 generator into pytorch/examples' DCGAN Generator and checks that it
makes the same images as gan-sample for the same latents.

    scripts/interop_dcgan64.py GENERATOR.safetensors Z.npy SAMPLES.npy [--tolerance 1e-4]

GENERATOR is `gan-sample export --out g.safetensors` output (plain state_dict names, main.0.weight)
or a full training checkpoint (names G.main.0.weight; the `G.` tensors are taken, and the `D.`
tensors are loaded into pytorch/examples' Discriminator as a check of their names and shapes). Z.npy holds
the latents [N, nz] given to `gan-sample --latents Z.npy --npy SAMPLES.npy`. The script loads the
file with safetensors.torch.load_file, builds the Generator with nz/ngf/nc from the file's
model_config metadata, runs it in eval mode on Z and prints the largest absolute difference to
SAMPLES. Exit status: 0 when within the tolerance, 1 when not, 2 on bad input.
"""
import argparse
import json
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

# Set from the file's model_config before the Generator is built (globals, as in main.py).
nz = 100
ngf = 64
nc = 3


# pytorch/examples dcgan/main.py, unchanged.
class Generator(nn.Module):
    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(     nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d( ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 16 x 16
            nn.ConvTranspose2d( ngf * 2,     ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 32 x 32
            nn.ConvTranspose2d(    ngf,      nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 64 x 64
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


# pytorch/examples dcgan/main.py, unchanged (ndf is set from model_config like the others).
ndf = 64


class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)

        return output.view(-1, 1).squeeze(1)


def fail(message):
    print(f"interop_dcgan64: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    global nz, ngf, nc, ndf
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("generator")
    ap.add_argument("latents")
    ap.add_argument("samples")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    try:
        with safe_open(args.generator, framework="pt") as f:
            meta = f.metadata() or {}
        state = load_file(args.generator)
    except Exception as e:  # noqa: BLE001 - report any reader error as bad input
        fail(f"{args.generator}: cannot read as safetensors: {e}")
    if "model_config" not in meta:
        fail(f"{args.generator}: no model_config metadata (not a SwiftGAN file?)")
    mc = json.loads(meta["model_config"])
    if mc["architecture"] != "dcgan64":
        fail(f"{args.generator}: the model is {mc['architecture']}, not dcgan64")
    nz, ngf, nc, ndf = mc["nz"], mc["ngf"], mc["dataShape"][0], mc["ndf"]

    if any(k.startswith("G.") for k in state):
        # A full training checkpoint: D's state_dict must load into the Discriminator too.
        netD = Discriminator(0)
        netD.load_state_dict({k[len("D."):]: v for k, v in state.items() if k.startswith("D.")})
        print(f"D.* loads into pytorch/examples' Discriminator ({len(netD.state_dict())} tensors)")
        state = {k[len("G."):]: v for k, v in state.items() if k.startswith("G.")}
    netG = Generator(0)
    netG.load_state_dict(state)  # strict: every name and shape must match
    netG.eval()

    z = np.load(args.latents).astype(np.float32)
    if z.ndim == 2:
        z = z.reshape(z.shape[0], z.shape[1], 1, 1)
    if z.ndim != 4 or z.shape[1:] != (nz, 1, 1):
        fail(f"{args.latents}: latents have shape {z.shape}, expected [N, {nz}]")
    ours = np.load(args.samples)
    with torch.no_grad():
        theirs = netG(torch.from_numpy(z)).numpy()
    if ours.shape != theirs.shape:
        fail(f"{args.samples}: shape {ours.shape}, PyTorch's output is {theirs.shape}")
    diff = float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64))))
    print(f"max abs diff {diff:.3e} over {theirs.size} values ({theirs.shape[0]} images {list(theirs.shape[1:])}), "
          f"tolerance {args.tolerance:g}")
    sys.exit(0 if diff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
