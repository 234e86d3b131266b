"""Lead imports: parse CSV/XLSX files, map their columns, check rows at the edge, run the import."""
