"""Video: stylize a clip frame by frame, steady it with optical flow, keep its sound."""
