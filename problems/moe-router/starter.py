"""MoE routing: fill in route and combine. See the statement for the exact rules and the order of capacity."""

import math

import torch


def route(logits, k, capacity_factor=None):
    raise NotImplementedError


def combine(x, experts, index, gates):
    raise NotImplementedError
