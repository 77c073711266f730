"""The public Python API's implementation: one-call functions over the library, tables as Arrow.

Import the API from `testigo` itself (``testigo.results(...)``), never from
these modules: `testigo.__all__` is the public surface, and the module each
name lives in here may change. Each module is loaded only when one of its
names is first used, so ``import testigo`` stays light:

* `workspace`: `Workspace`, `open`, `init`, and how a function takes a workspace;
* `arrow`: the Arrow tables every function returns (one column per candidate);
* `results`: `results`, `coverage`, `records`;
* `items`: `items`, `status`;
* `ingest`: `ingest` and its report (this one loads the readers: OpenCV);
* `importing`: `import_table` and its report;
* `forensics`, `projection`, `bounds`, `compare`: those functions and their results;
* `bundles`: `publish`, `verify`, `read_bundle` and `PublishedResults`;
* `download`: copying a bundle from a web address before it is verified;
* `audit`: `audit_plan`, `audit_record`, `audit_status`: the risk-limiting check of the paper sheets.

The functions call the library (``testigo.pipeline``, ``.tally``,
``.forensics``, ``.publish``, ``.verify``) and never re-implement it; the
command line (`testigo.cli`) calls the same library functions.
"""
