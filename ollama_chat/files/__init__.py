"""Files a user brings in: reading and decoding attachments and images, folder walks, .gitignore rules."""
