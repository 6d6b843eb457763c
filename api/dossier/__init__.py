"""The medical dossier: documents deposited by professionals, feeds and the patient."""
