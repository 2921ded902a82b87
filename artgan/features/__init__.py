"""Frozen ImageNet feature networks for perceptual losses (training only: needs torch)."""
