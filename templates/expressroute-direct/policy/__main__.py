"""Entry point of the policy pack.

The Pulumi CLI starts the pack with ``python -u -m pulumi.policy <engine address> .`` in this directory
(through its ``pulumi-analyzer-policy-python`` shim and the virtualenv named in ``PulumiPolicy.yaml``).
Constructing ``PolicyPack`` starts the gRPC server, prints its port and blocks, so this file only
assembles the pack: the policies live in ``expressroute_encryption.policy``, which imports neither the
Azure SDK nor the config schema, only the dependency-free facts they share with it.
"""

from pulumi_policy import PolicyPack

from expressroute_encryption.policy.pack import pack_arguments

PolicyPack(**pack_arguments())
