import sys

sys.path.insert(0, "/task")
import auth

pw = "s3cret-비번-2026"
h = auth.hash_password(pw)
assert isinstance(h, str) and h, "hash_password must return a non-empty string"
assert auth.verify_password(pw, h), "the right password must verify"
assert not auth.verify_password(pw + "x", h), "a wrong password must not verify"
assert auth.hash_password(pw) != h, "two hashes of one password must differ (salt)"
print("tests ok")
