"""`python -m console`: hands over to the command-line entry point."""

import sys

from console.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
