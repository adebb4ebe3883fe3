#!/usr/bin/env python3
"""GPU training benchmark: a small convolutional network trained on a synthetic,
MNIST-shaped classification task (generated from a fixed seed on the GPU, so no data set
has to be downloaded and every instance type sees the same data).

    train.py LEARNING_RATE BATCH_SIZE EPOCHS

Prints samples/s per epoch and the held-out loss, and writes the held-out loss to
./benchmark_custom.txt: the search minimises it, so tuning LEARNING_RATE, BATCH_SIZE and
EPOCHS finds the settings that learn best, and results.csv prices each try."""
import sys
import time

import torch
from torch import nn


def synthetic_data(n, device, generator):
    """Images whose class decides where a bright blob sits, plus noise."""
    labels = torch.randint(0, 10, (n,), device=device, generator=generator)
    images = torch.randn(n, 1, 28, 28, device=device, generator=generator) * 0.5
    rows = (labels // 5) * 12 + 4
    cols = (labels % 5) * 5 + 1
    for dy in range(4):
        for dx in range(4):
            images[torch.arange(n, device=device), 0, rows + dy, cols + dx] += 2.0
    return images, labels


def model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main(argv):
    if len(argv) != 4:
        print("usage: train.py LEARNING_RATE BATCH_SIZE EPOCHS", file=sys.stderr)
        return 2
    lr, batch, epochs = float(argv[1]), int(argv[2]), int(argv[3])
    if not torch.cuda.is_available():
        print("train.py: no CUDA device visible to PyTorch", file=sys.stderr)
        return 3
    device = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    gen = torch.Generator(device=device).manual_seed(1234)
    x_train, y_train = synthetic_data(60000, device, gen)
    x_test, y_test = synthetic_data(10000, device, gen)
    net = model().to(device)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        net.train()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        perm = torch.randperm(x_train.shape[0], device=device, generator=gen)
        for i in range(0, x_train.shape[0], batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
        torch.cuda.synchronize()
        secs = time.perf_counter() - t0
        print(f"epoch {epoch + 1}/{epochs}: {x_train.shape[0] / secs:.0f} samples/s, "
              f"last batch loss {loss.item():.4f}")
    net.eval()
    with torch.no_grad():
        test_loss = loss_fn(net(x_test), y_test).item()
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    print(f"held-out loss {test_loss:.4f}, accuracy {accuracy:.4f}")
    if test_loss != test_loss:  # NaN: the learning rate diverged; a large loss steers away
        test_loss = 1e6
    with open("benchmark_custom.txt", "w") as f:
        f.write(f"{test_loss:.6f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
