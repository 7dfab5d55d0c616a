"""``{{ amount|ntd }}`` → ``NT$ 1,652``: money on the premium pages and slips, the same in both languages."""

from django import template

register = template.Library()


@register.filter
def ntd(value) -> str:
    if value is None or value == "":
        return ""
    return f"NT$ {int(value):,}"
