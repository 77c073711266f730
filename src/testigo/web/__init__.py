"""The web application: volunteers upload, reviewers decide, admins manage accounts, everyone reads results.

from testigo.web import create_app
app = create_app(open_workspace("./eleccion"))   # served by `testigo serve`
"""

from testigo.web.app import create_app

__all__ = ["create_app"]
