"""Secure messaging between a patient's side and the professionals of the care team."""
