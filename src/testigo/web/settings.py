"""Tunable limits of the web application, with defaults sized for a national election on one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class WebSettings:
    """Limits and timings; every default is a deliberate choice explained next to it."""

    #: A phone photo is 2–8 MB; 20 MB leaves room for a scanned PDF without letting one request fill a disk.
    max_upload_bytes: int = 20 * 1024 * 1024
    #: 50 megapixels covers every phone's default mode; bigger means a bomb or a poster, refused before storing.
    max_upload_pixels: int = 50_000_000
    #: Uploads per hour of one account (a witness sends a handful; a coordinator gets a raised limit from an admin).
    account_uploads_per_hour: int = 600
    #: Uploads per minute from one IP address (a whole center behind one mobile carrier NAT stays under it).
    ip_uploads_per_minute: int = 240
    #: Login and invitation attempts per minute from one IP address and against one account name.
    login_attempts_per_minute: int = 10
    #: Other state-changing requests (review decisions, admin actions) per minute and account.
    actions_per_minute: int = 120
    #: Processes decoding uploads (0: decode in a thread of the server process, for tests and tiny servers).
    #: One per core: they run at a lower priority (nice 10), so they take only what answering requests and
    #: committing arrivals (about 13 of the 30 ms of CPU an upload costs) leave. On two cores this gave 54-57
    #: uploads/s against 44-52 with one decoder, which left a core idle while the server waited on the disk.
    decode_workers: int = max(1, os.cpu_count() or 1)
    #: How long an upload request waits for its reading before answering "pending" (the phone then polls).
    settle_wait_seconds: float = 8.0
    #: How often, at most, the public tallies are recomputed while uploads arrive.
    results_refresh_seconds: float = 5.0
    #: How long a browser, CDN or reverse proxy may serve a public page or API answer without asking again.
    public_max_age: int = 10
    #: Seconds between signed checkpoints of the log while it grows.
    checkpoint_seconds: float = 10.0
    #: Cookies marked Secure: None follows the request (https → Secure), so a plain-http LAN test still works.
    secure_cookies: bool | None = None
    session_days: int = 14
    invitation_days: int = 7
