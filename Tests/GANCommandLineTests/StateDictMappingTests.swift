import Foundation
import XCTest
import GANTensor
import GANTestSupport

/// The name mapping in docs/checkpoint-format.md, checked against PyTorch: each model's G and D
/// `state_dict` load strictly into the nn.Sequential the docs describe, and G (eval mode) gives
/// gan-sample's output for the same latents.
final class StateDictMappingTests: XCTestCase {
    static let python = #"""
import json, sys
import numpy as np
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

class Main(nn.Module):
    def __init__(self, seq):
        super().__init__()
        self.main = seq
    def forward(self, x):
        return self.main(x)

def build(mc):
    a, nz, shape, h, ngf, ndf = mc["architecture"], mc["nz"], mc["dataShape"], mc["hidden"], mc["ngf"], mc["ndf"]
    if a == "mlp" and len(shape) == 1:
        d = shape[0]
        g = nn.Sequential(nn.Linear(nz, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, d))
        dn = nn.Sequential(nn.Linear(d, h), nn.LeakyReLU(0.2), nn.Linear(h, h), nn.LeakyReLU(0.2), nn.Linear(h, 1))
    elif a == "mlp":
        c, hh, w = shape
        n = c * hh * w
        g = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, n), nn.Tanh(),
                          nn.Unflatten(1, (c, hh, w)))
        dn = nn.Sequential(nn.Flatten(), nn.Linear(n, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                           nn.Linear(256, 1))
    else:
        c, hh, w = shape
        k, b = (4, hh // 4) if hh % 4 == 0 else (3, (hh + 3) // 4)
        g = nn.Sequential(nn.Linear(nz, 2 * ngf * b * b, bias=False), nn.BatchNorm1d(2 * ngf * b * b), nn.ReLU(),
                          nn.Unflatten(1, (2 * ngf, b, b)),
                          nn.ConvTranspose2d(2 * ngf, ngf, k, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(),
                          nn.ConvTranspose2d(ngf, c, k, 2, 1), nn.Tanh())
        dn = nn.Sequential(nn.Conv2d(c, ndf, k, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(ndf, 2 * ndf, k, 2, 1, bias=False),
                           nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * ndf * b * b, 1))
    return Main(g), Main(dn)

worst = 0.0
args = sys.argv[1:]
for i in range(0, len(args), 3):
    path, zpath, outpath = args[i:i + 3]
    with safe_open(path, framework="pt") as f:
        mc = json.loads(f.metadata()["model_config"])
    state = load_file(path)
    g, d = build(mc)
    g.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("G.")})
    d.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("D.")})
    g.eval()
    with torch.no_grad():
        theirs = g(torch.from_numpy(np.load(zpath).astype(np.float32))).numpy()
    ours = np.load(outpath)
    assert ours.shape == theirs.shape, (path, ours.shape, theirs.shape)
    diff = float(np.max(np.abs(ours.astype(np.float64) - theirs)))
    worst = max(worst, diff)
    print(f"{mc['architecture']} {mc['dataShape']}: G and D load strictly; max abs diff {diff:.3e}")
sys.exit(0 if worst <= 1e-4 else 1)
"""#

    func testEveryModelsStateDictLoadsIntoTheDocumentedPyTorchModules() throws {
        let dir = try makeTemporaryFolder("mapping")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let python = (env.split(separator: ":").map(String.init) + ["/usr/bin"]).map({ $0 + "/python3" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("python3 was not found, so the PyTorch name-mapping check is skipped.")
        }
        let probe = try runProcess(python, ["-c", "import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ('torch', 'safetensors', 'numpy')) else 1)"], in: dir)
        guard probe.status == 0 else {
            throw XCTSkip("python3 lacks torch, safetensors or numpy, so the PyTorch name-mapping check is skipped.")
        }
        let train = try Products.binary("gan-train"), sample = try Products.binary("gan-sample")

        let images = Tensor(shape: [16, 16, 16])
        RandomStream(seed: 8, purpose: .data).fillUniform(images.ptr, count: images.count, low: 0, high: 1)
        try NPY.write(images, to: dir + "/images.npy")
        let common = ["--steps", "3", "--sample-count", "0", "--no-pictures", "--batch", "8", "--shards", "2", "--nz", "5"]
        let runs: [(String, [String])] = [
            ("mlp1d", ["--model", "mlp", "--dataset", "gaussian1d", "--hidden", "16"]),
            ("mlp2d", ["--model", "mlp", "--dataset", "ring8", "--hidden", "16"]),
            ("mlpimg", ["--model", "mlp", "--dataset", "npy", "--data", dir + "/images.npy"]),
            ("small16", ["--model", "dcgan-small", "--dataset", "npy", "--data", dir + "/images.npy", "--ngf", "4", "--ndf", "4"]),
            ("small25", ["--model", "dcgan-small", "--dataset", "npy", "--data", dir + "/images.npy", "--image-size", "25", "--ngf", "4", "--ndf", "4"]),
        ]
        let z = Tensor(shape: [6, 5])
        RandomStream(seed: 2, purpose: .sampling).fillNormal(z.ptr, count: z.count)
        try NPY.write(z, to: dir + "/z.npy")
        var triples: [String] = []
        for (name, flags) in runs {
            let out = dir + "/" + name
            var r = try runProcess(train, common + flags + ["--out", out], in: dir)
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
            r = try runProcess(sample, ["--checkpoint", out, "--latents", dir + "/z.npy", "--npy", out + "/ours.npy"], in: dir)
            XCTAssertEqual(r.status, 0, "\(name): \(r.output)")
            let ckpt = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: out + "/checkpoints").first)
            triples += [out + "/checkpoints/" + ckpt, dir + "/z.npy", out + "/ours.npy"]
        }
        let r = try runProcess(python, ["-c", Self.python] + triples, in: dir, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.output.components(separatedBy: "load strictly").count - 1, runs.count, r.output)
    }
}
