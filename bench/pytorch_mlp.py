#!/usr/bin/env python3
"""PyTorch reference for bench_throughput: the same workload, measured the same way.

MLP 784-1000-500-250-10, hardtanh hidden, softmax + multi-class cross-entropy (as
CrossEntropyLoss on logits), Glorot-uniform weights and zero biases, SGD with momentum
0.9 and lr 0.01, batch 100, rows drawn from a fresh shuffle each epoch. Prints the best
samples/s over --reps timed epochs and `result <key> <value>` lines for vs_pytorch.sh.

With --whole EPOCHS it runs as a user's training run does instead, for the whole-process
comparison (bench/experiments/whole_process_vs_pytorch.sh, timed from outside): all 60,000
training rows and the 10,000 test rows, EPOCHS epochs with a test-set evaluation after each,
the model saved at the end, no warm-up.

Thread counts must be fixed before torch (and its BLAS) load, so this script sets
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS from --threads itself.
"""
import argparse
import gzip
import os
import struct
import sys
import time

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (torch.set_num_threads and OpenMP)")
    p.add_argument("--blas-threads", type=int, default=0, help="BLAS threads (default: --threads)")
    p.add_argument("--samples", type=int, default=30000, help="training rows (the first N of Fashion-MNIST)")
    p.add_argument("--reps", type=int, default=3, help="timed epochs; the best is reported")
    p.add_argument("--synthetic", action="store_true", help="random data of Fashion-MNIST's shape")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--whole", type=int, default=0, metavar="EPOCHS",
                   help="train EPOCHS epochs on all rows, evaluate the test set after each, save the model")
    p.add_argument("--save", default=os.devnull, help="with --whole: where torch.save writes the model")
    return p.parse_args()


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return data[4 + 4 * dims :], shape


def load(args, torch, split="train"):
    n = args.samples
    if args.synthetic:
        g = torch.Generator().manual_seed(1)
        return torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)
    import numpy as np

    prefix = "train" if split == "train" else "t10k"
    images, shape = read_idx(os.path.join(FASHION_DIR, prefix + "-images-idx3-ubyte.gz"))
    labels, _ = read_idx(os.path.join(FASHION_DIR, prefix + "-labels-idx1-ubyte.gz"))
    n = min(n, shape[0])
    x = np.frombuffer(images, dtype=np.uint8, count=n * 784).reshape(n, 784).astype(np.float32) / 255.0
    y = np.frombuffer(labels, dtype=np.uint8, count=n).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    args = parse_args()
    if args.whole:
        args.samples = 10**9  # every row of each split
    blas = args.blas_threads or args.threads
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(blas)
    os.environ["MKL_NUM_THREADS"] = str(blas)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(123)
    x, y = load(args, torch)
    n = x.shape[0]

    layers = []
    sizes = [784, 1000, 500, 250, 10]
    for i in range(4):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < 3:
            layers.append(torch.nn.Hardtanh())
    model = torch.nn.Sequential(*layers)
    # PyTorch's momentum (v = mu v + g; p -= lr v) equals ours (v = mu v - lr g; p += v) at a fixed lr.
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(limit=None):
        perm = torch.randperm(n)
        done = 0
        last = 0.0
        for start in range(0, n, args.batch):
            idx = perm[start : start + args.batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            last = loss.item()
            done += idx.numel()
            if limit and done >= limit:
                break
        return done, last

    if args.whole:
        return whole_run(args, torch, model, epoch, n)

    epoch(limit=20 * args.batch)  # warm-up: allocator, BLAS buffers, thread pool
    best_wall, best_cpu, last = 0.0, 0.0, 0.0
    for _ in range(args.reps):
        w, c = time.perf_counter(), time.process_time()
        done, last = epoch()
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        best_wall = max(best_wall, done / wall)
        best_cpu = max(best_cpu, done / cpu)
    print(
        f"pytorch {torch.__version__}, {args.threads} thread(s), {blas} BLAS thread(s), "
        f"{'synthetic' if args.synthetic else 'fashion-mnist'} "
        f"{n} rows: {best_wall:.0f} samples/s wall, {best_cpu:.0f} samples/s per CPU second (best of {args.reps}); "
        f"last loss {last:.4f}"
    )
    print(f"result pytorch_samples_per_s {best_wall:.6g}")
    print(f"result pytorch_cpu_samples_per_s {best_cpu:.6g}")
    return 0


def whole_run(args, torch, model, epoch, n):
    """A user's run: every epoch, then the test set's accuracy; the model saved at the end."""
    tx, ty = load(args, torch, "test")
    accuracy = 0.0
    for e in range(args.whole):
        epoch()
        with torch.no_grad():
            correct = sum(int((model(tx[i : i + 2000]).argmax(1) == ty[i : i + 2000]).sum()) for i in range(0, tx.shape[0], 2000))
        accuracy = correct / tx.shape[0]
        print(f"epoch {e + 1} test accuracy {accuracy:.4f}", flush=True)
    torch.save(model.state_dict(), args.save)
    print(f"pytorch {torch.__version__}, {args.threads} thread(s), {n} rows x {args.whole} epoch(s); test accuracy {accuracy:.4f}")
    print(f"result pytorch_whole_accuracy {accuracy:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
