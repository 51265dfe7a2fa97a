"""Entry point of the policy pack: expressroute-encryption's pack, from the installed package
(as that repository's policy/__main__.py, which says how the Pulumi CLI starts it)."""

from pulumi_policy import PolicyPack

from expressroute_encryption.policy.pack import pack_arguments

PolicyPack(**pack_arguments())
