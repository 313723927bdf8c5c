"""HTTP plumbing shared by every adapter (no protocol knowledge) and HTML templates."""
