"""The recognition model: found in an installed wheel, checked against a pinned digest, run on one thread.

The model is PaddleOCR's PP-OCRv6 *small* text-line recogniser (CTC, ONNX,
Apache-2.0) as shipped inside the ``rapidocr==3.10.0`` wheel. testigo only
reads that file: it is located through ``importlib.metadata`` (rapidocr is
never imported, so none of its dependencies' import-time work happens), and
nothing is ever downloaded. Its SHA-256 is compared with `MODEL_SHA256` before
onnxruntime sees a byte, so a verifier re-running a reading knows it runs the
same weights; any other file is refused with `OcrModelError`. The same bytes
that were hashed are handed to onnxruntime, so nothing can swap the file
between the check and the load.

The character list comes from the ONNX file's own metadata ("character":
18,708 entries, one a line). PP-OCR's CTC head has one class more on each side:
class 0 is the blank and the last class is the space, so the output has 18,710
classes; `load_model` checks that and finds the ten ASCII digits among them.

Session settings, and why:

* one session per process, created on first use (`default_model`), never at
  import: ``import testigo`` and the command line stay light, and a worker
  process forked from a parent makes its own instead of inheriting one;
* ``intra_op_num_threads = inter_op_num_threads = 1``, sequential execution:
  testigo parallelises over files with processes, and with one thread every
  reduction runs in one fixed order, which is what makes repeated runs
  bit-identical;
* graph optimisation ``ORT_ENABLE_BASIC``: it folds constants and fuses
  batch-norms into the preceding convolutions, rewrites done once, the same way
  on every CPU (measured also the fastest here: 5.5 ms per field, against 5.9
  with no optimisation). ``EXTENDED`` swaps in fused contrib kernels
  (attention, layer norm, GELU) whose arithmetic is its own and changes between
  onnxruntime releases; ``ALL`` adds the NCHWc layout, whose block size follows
  the CPU's vector width, so it would make results depend on the machine by
  construction. Neither was faster on this model;
* the CPU execution provider, named explicitly, so that an installed GPU build
  does not silently change the arithmetic; ``use_deterministic_compute``;
* no CPU memory arena: every field has its own width, and the arena would only
  grow with each new one.

What stays machine-dependent is unavoidable with any onnxruntime: its MLAS
kernels pick SSE, AVX2 or AVX-512 code at run time from the CPU they find,
and those sum in different orders (see the package docstring for what that
means for a verifier).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from testigo.errors import TestigoError

#: The PyPI distribution whose wheel carries the model file (pinned in pyproject.toml).
MODEL_DISTRIBUTION = "rapidocr"
#: The model's path inside that distribution, as its RECORD lists it.
MODEL_FILE = "rapidocr/models/PP-OCRv6_rec_small.onnx"
#: SHA-256 of the model file in rapidocr 3.10.0: the identity of the weights every reading used.
MODEL_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"

DIGITS = "0123456789"


class OcrModelError(TestigoError):
    """The OCR model cannot be used: its package or file is missing, unreadable, or not the pinned weights.

    An installation problem, not a property of any sheet: a caller reports it
    once and stops reading print, rather than marking figures unreadable.
    """


@dataclass(frozen=True, eq=False)
class Model:
    """A loaded recogniser: its onnxruntime session and what its output classes mean."""

    #: The ``onnxruntime.InferenceSession`` (typed Any: onnxruntime ships no type information).
    session: Any
    input_name: str
    #: Every output class in order: "" for the blank, the dictionary, then " ".
    classes: tuple[str, ...]
    #: Output class of "0", ..., "9".
    digit_classes: npt.NDArray[np.int64]
    #: Output class of the space PP-OCR appends after its dictionary.
    space_class: int
    #: Class of each character, for scoring a known text.
    class_of: dict[str, int]
    path: Path
    sha256: str

    def probabilities(self, image: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The (T, C) per-step softmax for one prepared image (48 rows, values in [-1, 1]).

        One image per run, never a padded batch: the model mixes information
        along the whole line, so padding changed 28 % of readings in the
        evaluation (and cost 3x more per field).
        """
        tensor = np.ascontiguousarray(np.broadcast_to(image, (1, 3, *image.shape)), dtype=np.float32)
        [output] = self.session.run(None, {self.input_name: tensor})
        result: npt.NDArray[np.float32] = np.asarray(output[0], dtype=np.float32)
        return result


def model_path() -> Path:
    """Where the installed rapidocr distribution keeps the model file (not checked here)."""
    try:
        distribution = importlib.metadata.distribution(MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise OcrModelError(
            f"the OCR model's package {MODEL_DISTRIBUTION} is not installed (testigo pins the version that carries it)"
        ) from None
    return Path(str(distribution.locate_file(MODEL_FILE)))


def load_model(path: Path | None = None) -> Model:
    """A new session on the model file at `path` (default: the installed wheel's), after checking its digest.

    Raises `OcrModelError` when the file is missing or unreadable, its
    SHA-256 is not `MODEL_SHA256`, onnxruntime is missing or refuses it, or
    its classes are not PP-OCR's. Most callers want `default_model`.
    """
    path = model_path() if path is None else path
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OcrModelError(f"the OCR model {path} cannot be read: {error.strerror or error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise OcrModelError(
            f"the OCR model {path} is not the pinned one: sha256 {digest[:16]}..., expected {MODEL_SHA256[:16]}..."
        )
    session = _session(data, path)
    metadata = session.get_modelmeta().custom_metadata_map
    if "character" not in metadata:
        raise OcrModelError(f"the OCR model {path} has no character list in its metadata")
    classes = ("", *metadata["character"].splitlines(), " ")
    width = session.get_outputs()[0].shape[-1]
    if width != len(classes):
        raise OcrModelError(f"the OCR model {path} has {width} output classes, its character list {len(classes)}")
    class_of: dict[str, int] = {}
    for index, char in enumerate(classes[1:], start=1):
        class_of.setdefault(char, index)
    if any(classes.count(d) != 1 for d in DIGITS):
        raise OcrModelError(f"the OCR model {path} does not have each digit exactly once among its classes")
    return Model(
        session=session,
        input_name=session.get_inputs()[0].name,
        classes=classes,
        digit_classes=np.array([class_of[d] for d in DIGITS], dtype=np.int64),
        space_class=len(classes) - 1,
        class_of=class_of,
        path=path,
        sha256=digest,
    )


def _session(data: bytes, path: Path) -> Any:
    """An onnxruntime session with the settings of the module docstring."""
    try:
        import onnxruntime
    except ImportError:
        raise OcrModelError("onnxruntime is not installed (testigo pins it to run the OCR model)") from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.use_deterministic_compute = True
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3  # errors only: onnxruntime's warnings are about the GPU we do not use
    try:
        return onnxruntime.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own unexported exception types
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise OcrModelError(f"onnxruntime cannot load the OCR model {path}: {reason}") from None


_cached: tuple[int, Model] | None = None
_lock = threading.Lock()


def default_model() -> Model:
    """The process's one session on the installed model, created on first use.

    Keyed by process id: a process forked after the parent loaded the model
    creates its own session rather than using the parent's thread pools.
    """
    global _cached
    pid = os.getpid()
    cached = _cached
    if cached is not None and cached[0] == pid:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != pid:
            _cached = (pid, load_model())
        return _cached[1]
