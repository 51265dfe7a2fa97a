"""Make the policy pack (``expressroute_encryption.policy``) and this directory's helpers importable, whatever
directory pytest is started from and whatever import mode it uses."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

for path in (REPO_ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
