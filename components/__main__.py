"""Entry point of the component package: ``pulumi package add ./components`` starts it.

This directory holds only the plugin's manifest (``PulumiPlugin.yaml``), its
requirements (the ``expressroute-encryption`` package from the directory above) and
this file. The Python language host runs it as ``python <dir> <engine>`` in the
plugin's own virtualenv, where the package is installed: it imports the components
like any other program would. Installed, the same entry point is
``python -m expressroute_encryption``.
"""

from expressroute_encryption.provider import serve

if __name__ == "__main__":
    serve()
