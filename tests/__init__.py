"""Tests mirror the packages: tests/bridge, tests/devstack, tests/streams."""

SECRET = "s3cret-for-tests"
