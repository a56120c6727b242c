"""Read-only properties of what a constructor stored, one line each."""

__all__ = ['stored']


def stored(name: str, doc: str) -> property:
  """A read-only property returning `self._<name>`, documented by `doc`.

  For the plain accessors of the distributions (`rate = stored('rate',
  '...')`), where a property body per attribute would repeat itself.
  """
  attribute = '_' + name
  return property(lambda self: getattr(self, attribute), doc=doc)
