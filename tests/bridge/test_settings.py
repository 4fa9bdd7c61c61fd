import pytest

from bridge.errors import ConfigError
from bridge.settings import Settings


def test_defaults_without_environment():
    settings = Settings.from_env({})
    assert settings.topic_prefix == "docink"
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.shared_secret is None


def test_reads_docink_variables_and_kafka_passthrough():
    settings = Settings.from_env(
        {
            "DOCINK_BOOTSTRAP_SERVERS": "k:9092",
            "DOCINK_SHARED_SECRET": "s",
            "DOCINK_TOPIC_PREFIX": "acme",
            "DOCINK_ACK_TIMEOUT_SECONDS": "2.5",
            "DOCINK_INSECURE_NO_AUTH": "true",
            "DOCINK_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        }
    )
    assert settings.bootstrap_servers == "k:9092"
    assert settings.topic_prefix == "acme"
    assert settings.ack_timeout_seconds == 2.5
    assert settings.insecure_no_auth
    assert settings.kafka_config == {"security.protocol": "SASL_SSL"}


def test_secrets_stay_out_of_repr():
    settings = Settings(shared_secret="hunter2", token_fingerprint_key=b"k2")
    assert "hunter2" not in repr(settings) and "k2" not in repr(settings)


def test_bad_number_is_a_config_error():
    with pytest.raises(ConfigError, match="invalid"):
        Settings.from_env({"DOCINK_MAX_BODY_BYTES": "lots"})


def test_fingerprint_key_defaults_to_one_derived_from_the_secret():
    assert (
        Settings(shared_secret="a").fingerprint_key != Settings(shared_secret="b").fingerprint_key
    )
    assert Settings(token_fingerprint_key=b"x").fingerprint_key == b"x"
