"""``python -m honua`` is the ``honua`` command."""

from honua.cli import main

main()
