"""Disclosure: whether an image says it is AI-made, and saying so.

Two marks travel in the file: the IPTC ``DigitalSourceType`` in its XMP packet (``xmp``,
unsigned) and C2PA content credentials (``credentials``, signed). The
``content_credentials`` check reads both; ``t2iqa disclose`` writes both into copies.
"""
