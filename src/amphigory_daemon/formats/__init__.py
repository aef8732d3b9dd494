"""Pure disc-format readers: bytes or text in, frozen typed values out, no I/O."""
