"""Stream agents (faust-streaming) over the bridge topics: see issue 3."""
