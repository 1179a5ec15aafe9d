"""Job bookkeeping: what each ingest job submitted and what became of every item."""
