"""The history of care reimbursed by the health insurance."""
