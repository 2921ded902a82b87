"""Video: stylize a clip frame by frame, steady it with optical flow, keep its sound."""

# Temporal smoothing by default (0 = per-frame, 1 = strongest): 0.95 keeps the flicker of both
# benchmark clips at ≤ 50 % of per-frame with the shipped fast network (BENCHMARKS.md, Video).
DEFAULT_STABILIZE = 0.95
