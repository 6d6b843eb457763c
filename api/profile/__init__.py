"""The medical profile: conditions, treatments, allergies, family history,
vaccinations, advance directives, people to notify, and measurements."""
