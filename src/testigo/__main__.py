"""`python -m testigo` runs the command line."""

from testigo.cli import main

main()
