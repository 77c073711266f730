"""A risk-limiting check of the paper originals: a mesa-level comparison audit.

Where the paper tally sheets exist (a vault, a party's archive), people
compare a random sample of them with the figures testigo published. The
published per-mesa figures are the cast-vote records, the paper is the
truth, and the sample grows until the evidence that the published winner
really won is strong enough: if the published outcome were wrong, the audit
would end in a full hand count with probability at least 1 − α.

The method is the Kaplan–Markov test on batches sampled with probability
proportional to an error bound (PPEB), with the maximum relative
overstatement of pairwise margins as the taint (MACRO):

- P. B. Stark, "Risk-limiting postelection audits: conservative P-values
  from common probability inequalities", IEEE Transactions on Information
  Forensics and Security 4(4):1005–1014, 2009 (the Kaplan–Markov P-value);
- P. B. Stark, "Efficient post-election audits of multiple contests: 2009
  California tests", CELS 2009 Workshop, 2009 (MACRO, PPEB with Kaplan–Markov);
- J. A. Aslam, R. A. Popa, R. L. Rivest, "On auditing elections when
  precincts have different sizes", EVT 2008 (PPEB sampling).

The steps are modules: `plan` (the contest, its reported margins and the
error bound of each mesa, committed to a checkpoint of the log), `sampler`
(the draws, redrawable by anyone from the public seed and that checkpoint,
with the SHA-256 generator of `cryptorandom`), `risk` (the P-value and the
decision, vectorised), `state` (the append-only files in the workspace) and
`report` (where the audit stands, and the files a bundle publishes).
docs/audit.md explains the arithmetic.

Layer: above tally, ledger and store, below publish (which copies the
audit's files into the bundle), verify (which recomputes them), api and cli.
It works on plain figures; the callers derive them from the log.
"""

from testigo.audit.plan import Plan, make_plan
from testigo.audit.report import AuditStatus, Discrepancy, measure
from testigo.audit.state import AuditError, Finding

__all__ = ["AuditError", "AuditStatus", "Discrepancy", "Finding", "Plan", "make_plan", "measure"]
