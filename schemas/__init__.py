"""rolefit's public contracts: versioned event models and topic names.

Upstream systems depend on these; change a model only by adding optional fields,
or by publishing a new version (``…V2``) beside the old one.
"""
