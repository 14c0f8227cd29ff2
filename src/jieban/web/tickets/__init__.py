"""The ticket pages, one module per purpose: `registration` (the call), `lists` (the list, its
saved filters and export, a unit's inbox), `detail` (the ticket page and its action panel),
`actions` (the forms posted into the panel), `attachments`, `printout`; their forms in
`forms`, and what the pages build on: `saved_filters`, `export` (the Excel workbook),
`timeline` (the events as lines a person reads)."""
