"""``python -m codesign.runtime BUNDLE [--emulate] [--out result.json]``: the on-board check.

Exit status: 0 every output bit matches, 1 mismatches, 2 the check could not run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codesign.runtime.bundle import BundleError, load_bundle
from codesign.runtime.driver import Accelerator, AcceleratorError, check, open_board, summary_line
from codesign.runtime.emulated import EmulatedDeviceError, emulate
from codesign.runtime.packing import PackingError


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the check, print one summary line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m codesign.runtime", description=__doc__)
    parser.add_argument("bundle", type=Path, help="bundle directory or .tar.gz")
    parser.add_argument("--emulate", action="store_true", help="run on the emulated device (no board)")
    parser.add_argument("--out", type=Path, default=Path("result.json"), help="JSON result file")
    parser.add_argument("--board", help="this board's name (default: $BOARD)")
    parser.add_argument("--ip-name", help="the IP instance name (default: from the manifest)")
    parser.add_argument("--timeout", type=float, default=10.0, help="ap_done timeout per start, seconds")
    args = parser.parse_args(argv)
    try:
        bundle = load_bundle(args.bundle)
        if args.emulate:
            accelerator = Accelerator(emulate(bundle), bundle.manifest, timeout_s=args.timeout)
        else:
            accelerator = open_board(bundle, board=args.board, ip_name=args.ip_name, timeout_s=args.timeout)
        result = check(bundle, accelerator, device_kind="emulated" if args.emulate else "board", out=args.out)
    except (BundleError, AcceleratorError, EmulatedDeviceError, PackingError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary_line(result))
    print(f"result: {args.out}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
