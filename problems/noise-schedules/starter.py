"""Diffusion noise schedules: fill in each function. See the statement for the exact formulas."""

import math

import torch


def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    raise NotImplementedError


def cosine_betas(T, s=0.008, max_beta=0.999):
    raise NotImplementedError


def sigmoid_betas(T, start=-3.0, end=3.0, tau=1.0, max_beta=0.999):
    raise NotImplementedError


def alpha_bar(betas):
    raise NotImplementedError


def snr(alpha_bar):
    raise NotImplementedError


def v_from_eps(x0, eps, alpha_bar_t):
    raise NotImplementedError


def x0_from_v(x_t, v, alpha_bar_t):
    raise NotImplementedError


def eps_from_v(x_t, v, alpha_bar_t):
    raise NotImplementedError
