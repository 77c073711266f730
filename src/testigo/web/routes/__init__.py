"""The routers: public pages, public API, accounts, uploads, review and admin."""
