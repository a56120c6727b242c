"""Offline stand-in: forwards to the native rules (see ../README.md)."""

def py_runtime_pair(**kwargs):
    native.py_runtime_pair(**kwargs)

def py_library(**kwargs):
    native.py_library(**kwargs)

def py_binary(**kwargs):
    native.py_binary(**kwargs)

def py_test(**kwargs):
    native.py_test(**kwargs)

def py_runtime(**kwargs):
    native.py_runtime(**kwargs)
