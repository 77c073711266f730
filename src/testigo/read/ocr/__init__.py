"""Reading the printed figures of a sheet: an offline OCR model, and scores for the values a caller expects.

    fields = [crop_field(gray, box) for box in boxes]    # the caller registers the page
    for reading, value in zip(recognise(fields), qr_values):
        margin(reading, str(value))       # > 5 confirms the print, < -10 contradicts it (>= 0.6 px/dot)
        reading.text                      # the free digit reading, to show a reviewer
        candidates(reading, 3)            # e.g. [("231", -0.001), ("131", -7.25), ("221", -9.60)]

The model is PaddleOCR's PP-OCRv6 small recogniser, read from the file the
pinned ``rapidocr`` wheel ships and checked against a SHA-256 (`model`); it
runs on onnxruntime's CPU provider, one field per run, one thread, about 5.5 ms
of CPU a field. Nothing is downloaded, and importing this package loads
neither onnxruntime nor the model: the first reading does.

Modules: `model` (finding, checking and running the model), `prepare` (crop
to input image), `digits` (figures: `recognise`, `log_likelihood`,
`candidates`, `margin`), `text` (labels: `read_text`, `text_log_likelihood`),
`ctc` (the arithmetic, no model).

Determinism: what a verifier re-running a reading can expect.

* Same CPU model and the pinned packages: `Reading.logprobs` are
  bit-identical from run to run, session to session and process to process
  (tested), so texts, candidates, log-likelihoods and margins are identical to
  every decimal.
* Another CPU: what changes is onnxruntime's arithmetic. Its MLAS kernels are
  chosen at run time from the CPU's instruction sets (SSE, AVX2, AVX-512) and
  sum in different orders, and no setting pins them. The preprocessing and the
  CTC arithmetic do not depend on the CPU in practice: with OpenCV restricted
  to SSE3 and numpy to x86-64-v2 (``OPENCV_CPU_DISABLE``,
  ``NPY_DISABLE_CPU_FEATURES``) the prepared images and log-probabilities of
  540 benchmark fields were bit-identical to the AVX-512 run here, and margins
  moved by 4e-16. As a stand-in for other MLAS kernels, the same 540 fields
  were read under the other graph optimisation levels and with 4 threads
  (which change kernels and summation order the same way): no reading and no
  candidate list changed; log-probabilities moved by up to 1.1e-3 nats at a
  step, candidate log-likelihoods by up to 3.4e-4 and margins by up to
  1.5e-4. (A second CPU model was not available to test directly.)
  So expect the same figures, and log-likelihoods and margins equal to about
  3 decimals (within 1e-3). Store the margin a decision rested on with the
  decision, and treat a margin within 0.01 of a threshold as a tie rather than
  trusting its side.
"""

from testigo.read.ocr.digits import Reading, candidates, log_likelihood, log_likelihoods, margin, neighbours, recognise
from testigo.read.ocr.model import MODEL_SHA256, OcrModelError
from testigo.read.ocr.prepare import crop_field, prepare
from testigo.read.ocr.text import LineReading, read_line, read_text, text_log_likelihood

__all__ = [
    "MODEL_SHA256",
    "LineReading",
    "OcrModelError",
    "Reading",
    "candidates",
    "crop_field",
    "log_likelihood",
    "log_likelihoods",
    "margin",
    "neighbours",
    "prepare",
    "read_line",
    "read_text",
    "recognise",
    "text_log_likelihood",
]
