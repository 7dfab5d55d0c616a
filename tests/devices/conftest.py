from tests.accounts.conftest import _loaded_world, adult, registered, world  # noqa: F401  (fixtures shared with accounts)
