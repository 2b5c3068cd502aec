"""Import of the office's existing register (a spreadsheet) into Intese: reading, checking, importing."""
