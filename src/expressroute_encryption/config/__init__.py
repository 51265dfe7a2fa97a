"""The stack configuration: its schema, its rules and its error messages, by job.

Import the module you need; this package imports nothing itself, so that the offline
reader (``namespace``, ``errors``) loads without pydantic and a component loads only
its own models.

- ``namespace``: the config namespace (standard library only).
- ``errors``: ``ConfigError`` and the one-line-per-problem rendering, key material masked.
- ``paths``: keys written as a path (``ports[0].stage``, as ``pulumi new`` writes a
  template's answers), folded into their top-level key (standard library only).
- ``rules``: the rule engine (``ConfigModel``, ``rule``, ``cross_rule``, ``Int``).
- ``literals``: the enum-like inputs as ``Literal`` types (the component enums' source).
- ``values``: single-value rules shared by several areas (Azure names, ASNs, CIDRs).
- ``keyvault``, ``keys``, ``circuits``, ``ports``, ``vpn``, ``operations``: the models by area.
- ``stack``: ``StackConfig``, decommissioning and adoption rules.
- ``inputs``: the components' ``*Inputs`` models and ``validate_args``.
- ``loading``: the running stack's config, as the Pulumi CLI hands it over, into a ``StackConfig``.
"""
