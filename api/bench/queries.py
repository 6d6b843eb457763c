"""The GraphQL operations the benchmark sends: one constant each, shared by the
runner, the reference endpoint (which answers the dashboard's shape) and the tests."""

from __future__ import annotations

from api.graphql.persisted import PACKAGED_OPERATIONS

# The patient's home page: the portal's registered operation (api/graphql/operations),
# read from there. The reference endpoint returns this exact shape.
DASHBOARD = (PACKAGED_OPERATIONS / "portal" / "Dashboard.graphql").read_text(encoding="utf-8").strip()
# What the reference's agenda keeps, as the filter above says.
DASHBOARD_AGENDA_STATUSES = ("DUE", "UPCOMING")
DASHBOARD_DOCUMENTS = 20
DASHBOARD_AGENDA_ITEMS = 5
DASHBOARD_THREADS = 10

# A professional of the care team reading a patient's latest documents (journaled).
PROFESSIONAL_READ = """query ProfessionalRead($id: ID!) {
  patient(id: $id) {
    displayName
    documents(first: 20) {
      edges { node { id title typeCode category serviceDate depositedAt author { displayName } } }
    }
  }
}"""

# A laboratory feed depositing by INS (multipart: the file is variables.input.file).
DEPOSIT = """mutation Deposit($input: DepositDocumentInput!) {
  depositDocument(input: $input) { document { id sizeBytes } userErrors { field message code } }
}"""

# A full-text search in the patient's own dossier.
SEARCH = """query Search($words: String!) {
  patient {
    documents(first: 20, search: $words, orderBy: RELEVANCE) {
      totalCount
      edges { node { title typeCode serviceDate } }
    }
  }
}"""
