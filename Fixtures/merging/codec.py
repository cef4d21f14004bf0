"""Small helpers for moving bytes through text-only channels."""

import base64
import binascii


def encode_base64(data):
    """Encode bytes as base64 text, for sending binary data through JSON."""
    return base64.b64encode(data).decode("ascii")


def decode_base64(text):
    """Decode base64 text back into the original bytes; raise ValueError when it is malformed."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except binascii.Error as error:
        raise ValueError("not valid base64: %s" % error)


def hex_digest_of(data):
    """Hexadecimal text of the bytes, two digits per byte."""
    return binascii.hexlify(data).decode("ascii")
