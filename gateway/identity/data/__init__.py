"""The identity toolkit's tables (TSV); each file's header comment cites its source."""
