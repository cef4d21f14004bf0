import hashlib
import hmac
import os


def hash_password(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """Derive a salted PBKDF2 hash of a user's password for storage."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 200_000)
    return salt, digest


def verify_login(username: str, password: str, users: dict) -> bool:
    """Check a username and password against the stored hashes; True when the login is valid."""
    record = users.get(username)
    if record is None:
        return False
    salt, expected = record
    _, actual = hash_password(password, salt)
    return hmac.compare_digest(actual, expected)
