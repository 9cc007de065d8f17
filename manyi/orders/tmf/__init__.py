"""The TMF621 Trouble Ticket adapter: work orders as TroubleTickets (documents, schemas), the HTTP
endpoints, merge-patches as service calls, and the list filters."""
