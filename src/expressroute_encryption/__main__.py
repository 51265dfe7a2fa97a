"""``python -m expressroute_encryption``: serve the components as a Pulumi component package."""

from expressroute_encryption.provider import serve

if __name__ == "__main__":
    serve()
