"""``python -m streams``: one stream worker."""

from streams.worker import main

main()
