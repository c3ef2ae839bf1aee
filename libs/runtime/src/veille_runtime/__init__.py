"""What every Veille service process shares: settings, logs, database, Kafka, /health, /metrics."""
