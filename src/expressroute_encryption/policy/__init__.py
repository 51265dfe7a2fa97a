"""CrossGuard policies for MACsec-encrypted ExpressRoute Direct ports (see ``pack.POLICIES``).

Modules:

- ``expressroute``: resource policies for ports (MACsec on both links, ciphers, identity, key URLs).
- ``keyvault``: resource policies for the vault holding the keys (firewall, soft delete, purge protection).
- ``stack``: stack policies relating ports to their circuits and vaults (private endpoints).
- ``vpn``: stack policy for IPsec connections (algorithms, private IPs over private peering).
- ``protection``: advisory resource policy asking for ``protect`` on ports, vaults and secrets.
- ``exemptions``: time-limited port exemptions (``exemptPorts``) from the MACsec-required policies, and the
  advisory policy that reports them.
- ``pack``: the pack's name and policy list, shared by ``policy/__main__.py`` and the checker.
- ``checker``: the offline checker (``expressroute-encryption check-policy``) and ``evaluate``.
- ``props``: reading properties as the policy engine hands them over (unknown values included).

Imported as ``expressroute_encryption.policy`` everywhere: by ``policy/__main__.py`` when the Pulumi
CLI runs the pack, and by the offline tools.
Azure's numbers and names (ciphers, weak algorithms, what is a public address) come from
``expressroute_encryption.facts``, the dependency-free module the config schema imports too; the pack never
imports pydantic, the Azure SDK or the config schema (``tests/test_facts.py`` checks the running pack).
"""
