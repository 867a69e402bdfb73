"""Files: capture readers (HAR, .mitm, journal), the journal codec and the report writers."""
