"""The ``newswatch`` subcommands: one module per command group, each with ``register(commands)``.

``flows.cli`` finds every module here, so adding a command group is adding a module.
"""
