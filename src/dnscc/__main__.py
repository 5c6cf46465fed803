import sys

from dnscc.cli import main

sys.exit(main())
