"""Inpaint: restore a brushed-over region with a gated-convolution GAN generator."""
