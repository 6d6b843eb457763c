"""Interoperability: the space as FHIR R4 (export for portability, import)."""
