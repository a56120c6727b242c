"""Offline stand-in: forwards to the native rules (see ../README.md)."""

def proto_lang_toolchain(**kwargs):
    native.proto_lang_toolchain(**kwargs)

def proto_library(**kwargs):
    native.proto_library(**kwargs)
