"""The documents service: files, versions, folders, blob storage."""
