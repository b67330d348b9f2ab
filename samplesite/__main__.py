"""`python -m samplesite --port 8765 --edition 1`: serve the sample newsroom until Ctrl-C."""

from __future__ import annotations

import argparse

from samplesite.server import SampleSite


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m samplesite", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--edition", type=int, choices=(1, 2), default=1)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    site = SampleSite(edition=args.edition, host=args.host, port=args.port, delay=args.delay)
    site.start()
    print(f"Sample newsroom (edition {site.edition}) at {site.base_url}/  (Ctrl-C to stop)")
    site.serve_forever()


if __name__ == "__main__":
    main()
