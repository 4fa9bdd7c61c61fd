"""``python -m devstack.fetch``: put the Kafka and registry artifacts in the cache now."""

from devstack.artifacts import kafka_libs, registry_home

if __name__ == "__main__":
    print(f"kafka jars      {kafka_libs()}")
    print(f"registry        {registry_home()}")
