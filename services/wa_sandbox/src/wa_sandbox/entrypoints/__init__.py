"""HTTP surfaces: the Graph API look-alike, the /sandbox test controls, the phone page."""
