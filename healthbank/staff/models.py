"""No tables: the groups live in django.contrib.auth (roles.py says which).

The module exists so Django sends this app the post_migrate signal, which it
sends only to apps with a models module; ``StaffConfig.ready`` listens for it.
"""
