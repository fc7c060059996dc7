"""Train the answering-machine detector's small network (``adapters/amd/model.py``).

Reproducible from the repository alone: generate the training corpora with
``dialback amd corpus`` (seeds and voices below), then run this with PyTorch
(``pip install torch==2.13.0``, CPU; only for training -- the product runs the
weights with numpy):

    for s in 21 22 23 24 25 26 27 28 29 30 31 33 34; do
        dialback amd corpus --seed $s --count 400 /tmp/amd/t$s; done
    for s in 41 42 43 45; do
        dialback amd corpus --seed $s --count 400 --voices mixed /tmp/amd/m$s; done
    python scripts/amd_train.py /tmp/amd/t2? /tmp/amd/t30 /tmp/amd/t31 /tmp/amd/t33 \\
        /tmp/amd/t34 /tmp/amd/m41 /tmp/amd/m42 /tmp/amd/m45 --valid /tmp/amd/m43 \\
        --out src/dialback/adapters/amd/amd_model.npz

(Seed 32 is left out: the held-out other-voices corpus is seed 32, and the same seed
draws the same scenes.) The shipped weights came from this command (16 epochs, the
epoch with the lowest held-out loss kept: 0.2804 on m43).

Every frame of a clip is trained towards the clip's label (a frame's target is
"is this call a machine?", whatever has been heard so far); the first 200 ms
carry no weight. Held-out corpora (seeds 11, 12, 32) are never passed here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from dialback.adapters.amd.features import FeatureExtractor
from dialback.adapters.amd.model import INPUTS
from dialback.adapters.amd.wavio import read_audio
from dialback.bench.amd_corpus import read_labels

MAX_FRAMES = 450  # 9 s: past the detector's 8 s analysis window
SKIP_FRAMES = 10


def corpus_inputs(folder: Path) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(clips, MAX_FRAMES, INPUTS) input rows and (clips, MAX_FRAMES) weights; cached."""
    cache = folder / "model_inputs.npz"
    labels = read_labels(folder / "labels.csv")
    if cache.exists():
        with np.load(cache) as z:
            return z["x"], z["y"]
    x = np.zeros((len(labels), MAX_FRAMES, INPUTS), dtype=np.float32)
    y = np.full((len(labels), MAX_FRAMES), -1.0, dtype=np.float32)  # -1: no target
    for i, clip in enumerate(labels):
        fx = FeatureExtractor(model=False, record_inputs=True)
        fx.push(read_audio(folder / clip.file))
        rows = np.array(fx.inputs or [], dtype=np.float32)[:MAX_FRAMES]
        x[i, : len(rows)] = rows
        y[i, SKIP_FRAMES : len(rows)] = 1.0 if clip.label == "MACHINE" else 0.0
    np.savez_compressed(cache, x=x, y=y)
    return x, y


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--machine-weight", type=float, default=0.5)  # humans count double
    ap.add_argument("--valid", type=Path, action="append", default=[])
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--weight-decay", type=float, default=1e-3)
    args = ap.parse_args(argv)

    import torch  # training only

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    parts = [corpus_inputs(folder) for folder in args.corpora]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    valid = y >= 0
    mean = x[valid].mean(axis=0)
    std = x[valid].std(axis=0) + 1e-3
    xt = torch.tensor((x - mean) / std, dtype=torch.float32)
    yt = torch.tensor(y)

    gru = torch.nn.GRU(INPUTS, args.hidden, batch_first=True)
    out = torch.nn.Linear(args.hidden, 1)
    drop = torch.nn.Dropout(args.dropout)
    params = list(gru.parameters()) + list(out.parameters())
    opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=args.weight_decay)
    held = [corpus_inputs(folder) for folder in args.valid]
    vx = torch.tensor((np.concatenate([h[0] for h in held]) - mean) / std) if held else None
    vy = torch.tensor(np.concatenate([h[1] for h in held])) if held else None
    best: tuple[float, dict[str, Any]] | None = None
    gen = torch.Generator().manual_seed(args.seed)
    n = len(xt)
    for epoch in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        total, count = 0.0, 0
        for start in range(0, n, 32):
            idx = order[start : start + 32]
            gru.train()
            h, _ = gru(drop(xt[idx]))
            logits = out(drop(h)).squeeze(-1)
            target = yt[idx]
            mask = (target >= 0).float()
            weight = mask * torch.where(target > 0.5, args.machine_weight, 1.0)
            loss_all = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target.clamp(min=0.0), reduction="none"
            )
            loss = (loss_all * weight).sum() / weight.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        if epoch in (10, 20):
            for group in opt.param_groups:
                group["lr"] *= 0.3
        note = ""
        if vx is not None and vy is not None:
            with torch.no_grad():
                vh, _ = gru(vx.float())
                vlog = out(vh).squeeze(-1)
                vmask = vy >= 0
                vloss = float(
                    torch.nn.functional.binary_cross_entropy_with_logits(
                        vlog[vmask], vy[vmask].float()
                    )
                )
            note = f", held-out {vloss:.4f}"
            if best is None or vloss < best[0]:
                state = {k: v.clone() for k, v in gru.state_dict().items()}
                state.update({f"out.{k}": v.clone() for k, v in out.state_dict().items()})
                best = (vloss, state)
        print(f"epoch {epoch + 1}: loss {total / count:.4f}{note}", file=sys.stderr)
    if best is not None:  # the epoch that did best on the held-out corpora
        gru.load_state_dict({k: v for k, v in best[1].items() if not k.startswith("out.")})
        out.load_state_dict({k[4:]: v for k, v in best[1].items() if k.startswith("out.")})
        print(f"kept the epoch with held-out loss {best[0]:.4f}", file=sys.stderr)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        w_ih=gru.weight_ih_l0.detach().numpy(),
        w_hh=gru.weight_hh_l0.detach().numpy(),
        b_ih=gru.bias_ih_l0.detach().numpy(),
        b_hh=gru.bias_hh_l0.detach().numpy(),
        w_out=out.weight.detach().numpy().reshape(-1),
        b_out=out.bias.detach().numpy(),
        corpora=np.array([str(p.name) for p in args.corpora]),
        seed=np.array(args.seed),
        epochs=np.array(args.epochs),
    )
    print(f"wrote {args.out} from {n} clips", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
