"""``python -m devstack [--port N]``: the whole stack locally, from real parts."""

import argparse

from bridge.logs import configure_logging
from devstack.stack import DEFAULT_BRIDGE_PORT, run

parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
parser.add_argument("--port", type=int, default=DEFAULT_BRIDGE_PORT, help="the bridge's port")
configure_logging("WARNING")
raise SystemExit(run(parser.parse_args().port))
