"""CrossGuard policies for MACsec-encrypted ExpressRoute Direct ports (see ``pack.POLICIES``).

Modules:

- ``expressroute``: resource policies for ports (MACsec on both links, ciphers, identity, key URLs).
- ``keyvault``: resource policies for the vault holding the keys (firewall, soft delete, purge protection).
- ``stack``: stack policies relating ports to their circuits and vaults (private endpoints).
- ``vpn``: stack policy for IPsec connections (algorithms, private IPs over private peering).
- ``protection``: advisory resource policy asking for ``protect`` on ports, vaults and secrets.
- ``pack``: the pack's name and policy list, shared by ``policy/__main__.py`` and the checker.
- ``checker``: the offline checker (``python -m expressroute_encryption.policy.checker``) and ``evaluate``.

Azure's numbers and names (ciphers, weak algorithms, what is a public address) come from
``expressroute_encryption.facts``, the dependency-free module the config schema imports too; the pack never
imports pydantic, the Azure SDK or the config schema (``tests/test_facts.py`` checks the running pack).
"""
