"""Serving layer: ONNX Runtime sessions, the weights manifest and the image contract.

Nothing here imports torch: the app installs with onnxruntime, numpy and pillow only.
"""
