"""Helpers shared by the tests: real Kafka clients, services run in-process, isolation."""
