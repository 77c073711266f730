"""Reading the printed figures of a sheet with an offline OCR model.

The model is PaddleOCR's PP-OCRv6 small recogniser, read from the file the
pinned ``rapidocr`` wheel ships and checked against a SHA-256 (`model`); it
runs on onnxruntime's CPU provider, one thread. Nothing is downloaded, and
importing this package loads neither onnxruntime nor the model: the first
use does.

A CTC text-line recogniser gives, per horizontal step of a field, a
distribution over characters; `ctc` turns those into the probability of any
string the caller cares about (the figure its QR code claims, and the
strings a misread or a forger would put there).
"""

from testigo.read.ocr.model import MODEL_SHA256, OcrModelError

__all__ = ["MODEL_SHA256", "OcrModelError"]
