"""Witnesses (c2sp.org/tlog-witness): cosigning a log's checkpoints, and asking witnesses to.

A witness keeps, for each log it follows, the last checkpoint it cosigned,
and cosigns a new one only when a consistency proof shows it extends that
one. A reader who requires cosignatures from several independent witnesses
(`testigo verify --witness ... --min-witnesses K`) is then safe from a log
that shows different histories to different people: it would have to fool
K witnesses too.

* `core`: the witness's checks and its state on disk (`Witness`, `WitnessState`);
* `server`: the HTTP endpoint ``POST /add-checkpoint`` (`create_app`);
* `client`: asking a witness for its cosignature (`request_cosignature`);
* `roster`: the witnesses a workspace asks when it publishes (``witnesses.txt``).
"""

from testigo.witness.client import WitnessFailed, cosigned, request_cosignature
from testigo.witness.core import Refused, Witness, WitnessState
from testigo.witness.roster import RosterEntry, add_to_roster, parse_entry, read_roster
from testigo.witness.server import create_app

__all__ = [
    "Refused",
    "RosterEntry",
    "Witness",
    "WitnessFailed",
    "WitnessState",
    "add_to_roster",
    "cosigned",
    "create_app",
    "parse_entry",
    "read_roster",
    "request_cosignature",
]
