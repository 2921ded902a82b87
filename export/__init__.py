"""ONNX export: thin positional wrappers, dynamic axes, asserted parity, manifest update."""
