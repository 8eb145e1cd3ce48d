"""Allocates and touches memory until something stops it."""

import torch

hoard = []
while True:
    hoard.append(torch.ones(64 << 20, dtype=torch.uint8))
