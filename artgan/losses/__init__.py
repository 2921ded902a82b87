"""Losses shared by the capabilities (style, perceptual, GAN)."""
