"""Entry point of the policy pack.

The Pulumi CLI starts the pack with ``python -u -m pulumi.policy <engine address> .`` in this directory
(through its ``pulumi-analyzer-policy-python`` shim and the virtualenv named in ``PulumiPolicy.yaml``),
which runs this file with this directory on ``sys.path``. Constructing ``PolicyPack`` starts the gRPC
server, prints its port and blocks, so this file only assembles the pack: the policies live in the
importable ``expressroute_policy`` package.
"""

from expressroute_policy.pack import pack_arguments
from pulumi_policy import PolicyPack

PolicyPack(**pack_arguments())
