from tests.accounts.conftest import adult, registered, world  # noqa: F401  (fixtures shared with accounts)
