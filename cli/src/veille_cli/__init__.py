"""The veille command."""
