import sys

from legalaid.cli import main

sys.exit(main())
