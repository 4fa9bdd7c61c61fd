"""``python -m bridge``: the ``docink`` command."""

from bridge.cli import main

main()
