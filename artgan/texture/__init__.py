"""Texture synthesis: a PSGAN-style spatial GAN (Jetchev 2016, Bergmann 2017)."""
