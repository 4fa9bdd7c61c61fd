"""The DocInk webhook bridge: authenticated webhooks in, Avro records on Kafka out."""
