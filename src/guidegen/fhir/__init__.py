"""guidegen import fhir: reading FHIR R4 records, mapping them to vocabulary terms, and writing
profiles that keep what staff wrote."""
