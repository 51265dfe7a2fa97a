"""The repository's CrossGuard policy pack; see ``expressroute_policy`` and ``PulumiPolicy.yaml``."""
