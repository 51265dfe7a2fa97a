"""The stack program of this project: ``expressroute_encryption.program`` tells its story
(config, change guard, resource group, vault, ports, circuits, VPN, outputs). A project made
from ``templates/expressroute-direct`` has this same file, so both run the same program."""

from expressroute_encryption.program import run

run()
